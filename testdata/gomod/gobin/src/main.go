package main

import "fmt"

func main() { fmt.Println("supplychain Go binary fixture") }
