from supplychain.cli.main import main

main()
