"""`manage.py mcp`: Keel's MCP server over stdio, acting for the owner of KEEL_API_TOKEN."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assistants.stdio import TOKEN_VARIABLE, NoToken, serve


class Command(BaseCommand):
    help = (
        f"Serve Keel's MCP tools on stdin/stdout for the owner of the API token in "
        f"{TOKEN_VARIABLE} (an assistant starts this command itself)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            serve()
        except NoToken as error:
            raise CommandError(str(error)) from None
