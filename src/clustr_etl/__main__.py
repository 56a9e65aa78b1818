from clustr_etl.cli.launch import main

main()
