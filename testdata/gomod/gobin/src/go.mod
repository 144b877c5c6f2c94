module example.com/gobinfixture

go 1.19
