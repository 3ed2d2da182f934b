from django.apps import AppConfig


class BingoConfig(AppConfig):
    name = "bingo"
