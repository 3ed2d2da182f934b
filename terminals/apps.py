from django.apps import AppConfig


class TerminalsConfig(AppConfig):
    name = "terminals"
    verbose_name = "Terminals"

    def ready(self) -> None:
        from accounts.models import Role
        from invites.targets import register_target

        register_target(
            "terminals",
            label="Terminal workspace",
            describe=lambda _id: "Terminal workspace",
            admit=lambda user, _id: "/terminals/",
            # Only those who manage the workspace's members may invite people into it.
            may_invite=lambda user, _id: user.has_role(Role.ADMIN),
            needs_id=False,
        )
