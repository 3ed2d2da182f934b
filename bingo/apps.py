from django.apps import AppConfig


class BingoConfig(AppConfig):
    name = "bingo"
    verbose_name = "Bingo (ProofPlay)"

    def ready(self) -> None:
        from bingo import invites, services
        from invites.targets import register_target

        register_target(
            "bingo",
            label="Bingo game",
            describe=services.invite_describe,
            admit=services.invite_admit,
            may_invite=invites.may_invite,
        )
