from clustr_etl.launch import main

main()
