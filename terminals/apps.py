from django.apps import AppConfig


class TerminalsConfig(AppConfig):
    name = "terminals"
    verbose_name = "Terminals"

    def ready(self) -> None:
        from invites.targets import register_target

        register_target(
            "terminals",
            label="Terminal workspace",
            describe=lambda _id: "Terminal workspace",
            admit=lambda user, _id: "/terminals/",
            needs_id=False,
        )
