from rest_framework import serializers


class BingoSessionIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    device_key_hash = serializers.CharField(max_length=256, trim_whitespace=True)


class BingoSessionOut(serializers.Serializer):
    session_id = serializers.CharField()
    role = serializers.ChoiceField(choices=["player", "admin"])
    email = serializers.EmailField()


class BingoGameIn(serializers.Serializer):
    name = serializers.CharField(max_length=100, trim_whitespace=True)


class BingoGameCreatedOut(serializers.Serializer):
    game_id = serializers.CharField()
    pin = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()


class BingoJoinIn(serializers.Serializer):
    pin = serializers.CharField(max_length=16, trim_whitespace=False)
    client_seed = serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional player entropy, published and mixed into every draw's seed.",
    )


def Grid() -> serializers.ListField:
    return serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))


def Marks() -> serializers.ListField:
    return serializers.ListField(child=serializers.ListField(child=serializers.BooleanField()))


class BingoJoinOut(serializers.Serializer):
    status = serializers.CharField()
    card_id = serializers.CharField()
    numbers = Grid()
    marked = Marks()
    game_name = serializers.CharField()


class BingoCardOut(serializers.Serializer):
    card_id = serializers.CharField()
    numbers = Grid()
    marked = Marks()
    game_id = serializers.CharField()


class BingoMarkIn(serializers.Serializer):
    row = serializers.IntegerField(min_value=0, max_value=4)
    col = serializers.IntegerField(min_value=0, max_value=4)


class BingoMarkOut(serializers.Serializer):
    marked = Marks()
    bingo = serializers.BooleanField()


class BingoDrawOut(serializers.Serializer):
    number = serializers.IntegerField()
    sequence = serializers.IntegerField()
    seed_hash = serializers.CharField()
    anchor_id = serializers.CharField()
    drawn_at = serializers.CharField()


class BingoDetailOut(serializers.Serializer):
    detail = serializers.CharField()
