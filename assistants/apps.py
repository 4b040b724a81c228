"""The assistants app: Keel's MCP server (streamable HTTP at /mcp, stdio by `manage.py mcp`)."""

from django.apps import AppConfig


class AssistantsConfig(AppConfig):
    name = "assistants"
    verbose_name = "Assistants (MCP)"
