from django.apps import AppConfig


class AvalonbotConfig(AppConfig):
    name = "avalonbot"
