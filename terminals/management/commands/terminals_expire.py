from django.core.management.base import BaseCommand

from terminals import services


class Command(BaseCommand):
    help = (
        "Release expired claims and claims on sessions that no longer exist (announcing them), "
        "drop stale presence, end recordings of panes that are gone."
    )

    def handle(self, *args: object, **options: object) -> None:
        claims = services.claims_expire_all() + services.claims_prune_missing()
        viewers = services.viewers_purge()
        recordings = services.recordings_reconcile()
        self.stdout.write(
            f"claims released={claims} viewers purged={viewers} recordings={recordings}"
        )
