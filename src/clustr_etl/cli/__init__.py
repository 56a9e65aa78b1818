"""The command line: the Typer app (``app.py``), its error boundary and one module per command group.

Commands only parse options, build settings, call one library function (``clustr_etl.run``) and print its
summary. Nothing heavy is imported at module level, so ``clustr-etl --help`` stays instant.
"""
