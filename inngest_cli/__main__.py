from inngest_cli.cli.main import main

main()
