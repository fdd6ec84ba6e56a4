import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from leads.actors import Actor
from leads.models import ApiKey, Workspace
from leads.services.api_keys import api_key_issue


class Command(BaseCommand):
    help = (
        "Create an API key for a workspace and print its secret (shown only once). The key "
        "is recorded in the workspace's audit trail, made by “command line”."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="Workspace name")
        parser.add_argument("--name", required=True, help="A label for the key")
        parser.add_argument(
            "--scopes",
            default=",".join(ApiKey.Scope.values),
            help="Comma-separated scopes (default: all): " + ", ".join(ApiKey.Scope.values),
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object")

    def handle(self, *args: object, **options: object) -> None:
        try:
            workspace = Workspace.objects.get(name=options["workspace"])
        except Workspace.DoesNotExist:
            raise CommandError(f"No workspace named {options['workspace']!r}.") from None
        scopes = [s.strip() for s in str(options["scopes"]).split(",") if s.strip()]
        try:
            key, secret = api_key_issue(
                workspace=workspace,
                actor=Actor.command_line(),
                name=str(options["name"]),
                scopes=scopes,
            )
        except ValidationError as err:
            raise CommandError("; ".join(err.messages)) from None
        if options["json"]:
            self.stdout.write(json.dumps({"api_key": secret, "scopes": key.scopes}))
        else:
            self.stdout.write(f"API key for {workspace.name} ({', '.join(key.scopes)}):")
            self.stdout.write(secret)
            self.stdout.write("Store it now: Leadbook keeps only a hash and cannot show it again.")
