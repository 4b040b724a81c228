"""`manage.py create_api_token USERNAME` prints a new API token as its last line."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, username: str, name: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        token, plaintext = api_token_create(user=user, name=name)
        self.stderr.write(f"API token {token.prefix}… for {username} (shown once):")
        self.stdout.write(plaintext)
