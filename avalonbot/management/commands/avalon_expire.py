from django.core.management.base import BaseCommand

from avalonbot import services


class Command(BaseCommand):
    help = (
        "End bot sessions with no call for AVALON_SESSION_TTL seconds (they keep their decision "
        "log; their sessionID answers 404). New sessions sweep too; this is for cron."
    )

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"sessions expired={services.sessions_expire()}")
