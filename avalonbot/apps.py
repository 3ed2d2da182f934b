from django.apps import AppConfig


class AvalonbotConfig(AppConfig):
    name = "avalonbot"
    verbose_name = "Avalon bot"

    def ready(self) -> None:
        from django.conf import settings

        from avalonbot.bot import policy

        # The bot is pure Python: its default comes from the setting once, here.
        policy.SEARCH_DEFAULT = bool(getattr(settings, "AVALON_SEARCH", True))
