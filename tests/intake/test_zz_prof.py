import time, re, cProfile, pstats
import pytest
from django.test import Client
from tests.factories import intake_answers

@pytest.mark.django_db
def test_prof(client: Client, receiving):
    toks=[re.search(r'name="token" value="([^"]+)"', client.get("/report/").content.decode()).group(1) for _ in range(11)]
    client.post("/report/", {**intake_answers(), "token": toks.pop()})
    pr=cProfile.Profile(); pr.enable()
    for tok in toks: client.post("/report/", {**intake_answers(), "token": tok})
    pr.disable(); pstats.Stats(pr).sort_stats("cumulative").print_stats(60)
