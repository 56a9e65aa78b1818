from clustr_etl.cli import main

main()
