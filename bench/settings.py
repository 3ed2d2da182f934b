"""Lobby's settings plus one bare Django view, the baseline the HTTP benchmarks compare against."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
