"""Everything `make run` needs before it serves: schema, cache table, static files, data dir."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Prepare LOBBY_DATA_DIR: migrate, create the cache table, collect static files."

    def handle(self, *args: object, **options: object) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        for hook in settings.LOBBY_SETUP_HOOKS:
            module, _, name = hook.rpartition(".")
            getattr(__import__(module, fromlist=[name]), name)()
        self.stdout.write(f"Lobby is set up in {settings.DATA_DIR}")
