from django.core.management.base import BaseCommand

from terminals import services


class Command(BaseCommand):
    help = "Release expired claims (announcing them), drop stale presence, end dead recordings."

    def handle(self, *args: object, **options: object) -> None:
        claims = services.claims_expire_all()
        viewers = services.viewers_purge()
        recordings = services.recordings_reconcile()
        self.stdout.write(
            f"claims released={claims} viewers purged={viewers} recordings={recordings}"
        )
