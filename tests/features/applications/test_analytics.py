"""`GET /applications/analytics` against a hand-computed example: 13 applications with known
timelines (imported over real HTTP as CSV, with their dates), resume versions linked over HTTP, and
analyses with chosen scores. Every number of the answer is written out below as computed by hand
from the table, then the period filter, the owner scope, bad input, and agreement with `/stats`."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import httpx

from backend.platform.db.tables import Analysis, Resume, ResumeVersion
from tests import factories
from tests.features.applications.test_crud import URL, create

ANALYTICS = f"{URL}/analytics"
DAY = "T10:00:00+00:00"

# name: (source, final status, applied_at day or None, created_at day, resume version, scores, timeline).
# A timeline is (day, status) pairs: the first is the status it was created in. ISO weeks of 2026:
# W02 = 5-11 Jan, W03 = 12-18 Jan, W04 = 19-25 Jan; 2025-12-01 is in 2025-W49.
APPS: dict[str, tuple[str, str, str | None, str, str | None, list[int], list[tuple[str, str]]]] = {
    "A1": ("LinkedIn", "accepted", "2026-01-05", "2026-01-01", "v1", [100, 60],
           [("2026-01-01", "wishlist"), ("2026-01-05", "applied"), ("2026-01-10", "screening"),
            ("2026-01-15", "interview"), ("2026-01-25", "offer"), ("2026-01-28", "accepted")]),
    "A2": ("LinkedIn", "rejected", "2026-01-06", "2026-01-02", "v1", [70],
           [("2026-01-02", "wishlist"), ("2026-01-06", "applied"), ("2026-01-12", "screening"),
            ("2026-01-20", "interview"), ("2026-01-30", "rejected")]),
    "A3": ("LinkedIn", "rejected", "2026-01-07", "2026-01-07", "v1", [49, 12],
           [("2026-01-07", "applied"), ("2026-01-14", "rejected")]),
    "A4": ("LinkedIn", "ghosted", "2026-01-08", "2026-01-08", "v2", [],
           [("2026-01-08", "applied"), ("2026-02-05", "ghosted")]),
    "A5": ("Referral", "offer", "2026-01-12", "2026-01-12", "v2", [85],
           [("2026-01-12", "applied"), ("2026-01-19", "interview"), ("2026-01-30", "offer")]),
    "A6": ("Referral", "interview", "2026-01-13", "2026-01-13", "v2", [69],  # applied -> screening twice
           [("2026-01-13", "applied"), ("2026-01-16", "screening"), ("2026-01-18", "applied"),
            ("2026-01-20", "screening"), ("2026-01-22", "interview")]),
    "A7": ("Referral", "applied", "2026-01-14", "2026-01-14", None, [30], [("2026-01-14", "applied")]),
    "A8": ("", "withdrawn", "2026-01-19", "2026-01-19", None, [],
           [("2026-01-19", "applied"), ("2026-01-21", "withdrawn")]),
    "A9": ("Company site", "rejected", "2026-01-20", "2026-01-20", "v1", [50],
           [("2026-01-20", "applied"), ("2026-01-27", "screening"), ("2026-02-02", "rejected")]),
    "A10": ("Company site", "interview", "2026-01-21", "2026-01-21", "v1", [],  # created in interview
            [("2026-01-21", "interview")]),
    "A11": ("LinkedIn", "wishlist", None, "2026-01-09", None, [], [("2026-01-09", "wishlist")]),
    "A12": ("", "withdrawn", None, "2026-01-02", None, [], [("2026-01-02", "wishlist"), ("2026-01-03", "withdrawn")]),
    "A13": ("LinkedIn", "interview", "2025-12-01", "2025-12-01", None, [84],
            [("2025-12-01", "applied"), ("2025-12-10", "interview")]),
}  # fmt: skip


def funnel(applied: int, responded: int, interviewed: int, offered: int, rates: tuple[Any, ...]) -> dict[str, Any]:
    """The counts and the five rates as computed by hand: responded/applied, interviewed/applied,
    offered/applied, interviewed/responded, offered/interviewed (4 decimals; None over 0)."""
    names = ("response_rate", "interview_rate", "offer_rate", "interviews_per_response", "offers_per_interview")
    counts = {"applied": applied, "responded": responded, "interviewed": interviewed, "offered": offered}
    return {**counts, **dict(zip(names, rates, strict=True)), "small_sample": applied < 5}


# Applied: A1-A10 and A13 (11; A11 and A12 never were). Answered: A1 A2 A3 A5 A6 A9 A10 A13 (8; A4
# ghosted, A7 waiting and A8 withdrawn are no answer). Interview: A1 A2 A5 A6 A10 A13 (6). Offer: A1 A5.
OVERALL = funnel(11, 8, 6, 2, (0.7273, 0.5455, 0.1818, 0.75, 0.3333))
BY_SOURCE = [
    {"source": "LinkedIn", **funnel(5, 4, 3, 1, (0.8, 0.6, 0.2, 0.75, 0.3333))},  # A1 A2 A3 A4 A13
    {"source": "Referral", **funnel(3, 2, 2, 1, (0.6667, 0.6667, 0.3333, 1.0, 0.5))},  # A5 A6 A7
    {"source": "Company site", **funnel(2, 2, 1, 0, (1.0, 0.5, 0.0, 0.5, 0.0))},  # A9 A10
    {"source": "", **funnel(1, 0, 0, 0, (0.0, 0.0, 0.0, None, None))},  # A8
]
BY_MATCH_BAND = [  # the best completed score: A1 100, A2 70, A3 49, A5 85, A6 69, A7 30, A9 50, A13 84
    {"band": "0-49", **funnel(2, 1, 0, 0, (0.5, 0.0, 0.0, 0.0, None))},  # A3 A7
    {"band": "50-69", **funnel(2, 2, 1, 0, (1.0, 0.5, 0.0, 0.5, 0.0))},  # A6 A9
    {"band": "70-84", **funnel(2, 2, 2, 0, (1.0, 1.0, 0.0, 1.0, 0.0))},  # A2 A13
    {"band": "85-100", **funnel(2, 2, 2, 2, (1.0, 1.0, 1.0, 1.0, 1.0))},  # A1 A5
    {"band": "none", **funnel(3, 1, 1, 0, (0.3333, 0.3333, 0.0, 1.0, 0.0))},  # A4 A8 A10
]
BY_WEEK = [
    {"week": "2025-W49", **funnel(1, 1, 1, 0, (1.0, 1.0, 0.0, 1.0, 0.0))},  # A13
    {"week": "2026-W02", **funnel(4, 3, 2, 1, (0.75, 0.5, 0.25, 0.6667, 0.5))},  # A1 A2 A3 A4
    {"week": "2026-W03", **funnel(3, 2, 2, 1, (0.6667, 0.6667, 0.3333, 1.0, 0.5))},  # A5 A6 A7
    {"week": "2026-W04", **funnel(3, 2, 1, 0, (0.6667, 0.3333, 0.0, 0.5, 0.0))},  # A8 A9 A10
]
NODES = [  # applications ever in the status (timeline or current)
    ("wishlist", 4),  # A1 A2 A11 A12
    ("applied", 10),  # all but A10 (created in interview), A11, A12
    ("screening", 4),  # A1 A2 A6 A9
    ("interview", 6),  # A1 A2 A5 A6 A10 A13
    ("offer", 2),  # A1 A5
    ("accepted", 1),  # A1
    ("rejected", 3),  # A2 A3 A9
    ("ghosted", 1),  # A4
    ("withdrawn", 2),  # A8 A12
]
LINKS = [
    ("wishlist", "applied", 2),  # A1 A2
    ("wishlist", "withdrawn", 1),  # A12
    ("applied", "screening", 4),  # A1 A2 A6 (twice, counted once) A9
    ("applied", "interview", 2),  # A5 A13
    ("applied", "rejected", 1),  # A3
    ("applied", "ghosted", 1),  # A4
    ("applied", "withdrawn", 1),  # A8
    ("screening", "applied", 1),  # A6
    ("screening", "interview", 3),  # A1 A2 A6
    ("screening", "rejected", 1),  # A9
    ("interview", "offer", 2),  # A1 A5
    ("interview", "rejected", 1),  # A2
    ("offer", "accepted", 1),  # A1
]


def as_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["company", "role", "status", "source", "applied_at", "created_at", "timeline"])
    for name, (source, status, applied, created, _version, _scores, steps) in APPS.items():
        timeline, before = [], None
        for day, to in steps:
            timeline.append({"at": day + DAY, "from": before, "to": to, "note": ""})
            before = to
        writer.writerow(
            [name, "Engineer", status, source, applied + DAY if applied else "", created + DAY, json.dumps(timeline)]
        )
    return out.getvalue().encode()


async def load_example(client: httpx.AsyncClient, account: factories.Account) -> dict[str, str]:
    """The example of APPS in `account`; the application ids by name."""
    imported = await client.post(
        f"{URL}/import", content=as_csv(), headers={**account.headers, "content-type": "text/csv"}
    )
    assert imported.status_code == 201, imported.text
    listed = (await client.get(URL, params={"limit": "100"}, headers=account.headers)).json()["items"]
    ids = {item["company"]: item["id"] for item in listed}
    user = uuid.UUID(account.user_id)
    resume = Resume(user=user, title="Backend CV")
    await resume.save()
    versions = {}
    for number in (1, 2):
        version = ResumeVersion(resume=resume.id, user=user, number=number, status="parsed", filename="cv.pdf",
                                size=1, sha256="0" * 64, object_key=f"k/{uuid.uuid4()}")  # fmt: skip
        await version.save()
        versions[f"v{number}"] = version.id
    for name, (_s, _st, _a, _c, version_name, scores, _t) in APPS.items():
        if version_name:
            body = {"resume_version_id": str(versions[version_name])}
            assert (await client.patch(f"{URL}/{ids[name]}", json=body, headers=account.headers)).status_code == 200
        for score in scores:
            await Analysis(user=user, resume_version=versions["v1"], application=ids[name], status="completed",
                           score=score).save()  # fmt: skip
    # Not counted: an analysis still running, and one that failed (no score).
    await Analysis(user=user, resume_version=versions["v1"], application=ids["A4"], status="running").save()
    await Analysis(user=user, resume_version=versions["v1"], application=ids["A8"], status="failed").save()
    return {**ids, **{name: str(version_id) for name, version_id in versions.items()}}


async def test_every_number_matches_the_hand_computed_example(client: httpx.AsyncClient) -> None:
    account, other = await factories.account(client), await factories.account(client)
    ids = await load_example(client, account)
    # Another user's applications never count in this user's numbers.
    noise = await create(client, other, company="Elsewhere", status="applied", source="LinkedIn")
    await client.patch(f"{URL}/{noise['id']}", json={"status": "interview"}, headers=other.headers)

    response = await client.get(ANALYTICS, headers=account.headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["from"], answer["to"], answer["time_zone"]) == (None, None, "UTC")
    assert answer["overall"] == OVERALL
    assert answer["by_source"] == BY_SOURCE
    assert answer["by_match_band"] == BY_MATCH_BAND
    assert answer["by_week"] == BY_WEEK
    assert answer["by_resume_version"] == [
        {"resume_version_id": ids["v1"], "label": "Backend CV v1",  # A1 A2 A3 A9 A10
         **funnel(5, 5, 3, 1, (1.0, 0.6, 0.2, 0.6, 0.3333))},
        {"resume_version_id": ids["v2"], "label": "Backend CV v2",  # A4 A5 A6
         **funnel(3, 2, 2, 1, (0.6667, 0.6667, 0.3333, 1.0, 0.5))},
        {"resume_version_id": None, "label": "No resume version",  # A7 A8 A13
         **funnel(3, 1, 1, 0, (0.3333, 0.3333, 0.0, 1.0, 0.0))},
    ]  # fmt: skip
    assert answer["flow"]["nodes"] == [{"status": s, "applications": n} for s, n in NODES]
    assert answer["flow"]["links"] == [{"source": s, "target": t, "applications": n} for s, t, n in LINKS]

    # `/stats` counts its funnel from the same definition.
    stats = (await client.get(f"{URL}/stats", headers=account.headers)).json()
    assert (stats["total"], stats["applied"], stats["responded"], stats["response_rate"]) == (13, 11, 8, 0.7273)
    assert stats["by_status"]["ghosted"] == 1

    # The other user sees their one application only.
    theirs = (await client.get(ANALYTICS, headers=other.headers)).json()
    assert theirs["overall"] == funnel(1, 1, 1, 0, (1.0, 1.0, 0.0, 1.0, 0.0))
    assert theirs["flow"]["links"] == [{"source": "applied", "target": "interview", "applications": 1}]


async def test_the_period_selects_applications_by_the_day_they_started(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    await load_example(client, account)
    # 6-14 Jan: A2 A3 A4 A5 A6 A7 applied, and A11 (wishlist, created on the 9th).
    response = await client.get(ANALYTICS, params={"from": "2026-01-06", "to": "2026-01-14"}, headers=account.headers)
    answer = response.json()
    assert (answer["from"], answer["to"]) == ("2026-01-06", "2026-01-14")
    # Answered: A2 A3 A5 A6; interview: A2 A5 A6; offer: A5.
    assert answer["overall"] == funnel(6, 4, 3, 1, (0.6667, 0.5, 0.1667, 0.75, 0.3333))
    assert [(n["status"], n["applications"]) for n in answer["flow"]["nodes"]] == [
        ("wishlist", 2), ("applied", 6), ("screening", 2), ("interview", 3), ("offer", 1), ("rejected", 2),
        ("ghosted", 1),
    ]  # fmt: skip
    assert [(link["source"], link["target"], link["applications"]) for link in answer["flow"]["links"]] == [
        ("wishlist", "applied", 1), ("applied", "screening", 2), ("applied", "interview", 1),
        ("applied", "rejected", 1), ("applied", "ghosted", 1), ("screening", "applied", 1),
        ("screening", "interview", 2), ("interview", "offer", 1), ("interview", "rejected", 1),
    ]  # fmt: skip
    assert [w["week"] for w in answer["by_week"]] == ["2026-W02", "2026-W03"]
    only_from = (await client.get(ANALYTICS, params={"from": "2026-01-19"}, headers=account.headers)).json()
    assert only_from["overall"]["applied"] == 3  # A8 A9 A10
    only_to = (await client.get(ANALYTICS, params={"to": "2025-12-31"}, headers=account.headers)).json()
    assert only_to["overall"]["applied"] == 1  # A13
    empty = (await client.get(ANALYTICS, params={"from": "2030-01-01"}, headers=account.headers)).json()
    assert empty["overall"] == funnel(0, 0, 0, 0, (None, None, None, None, None))
    assert empty["flow"] == {"nodes": [], "links": []} and empty["by_week"] == []
    assert [b["applied"] for b in empty["by_match_band"]] == [0, 0, 0, 0, 0]


async def test_weeks_and_days_are_the_users_time_zone(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    prefs = {"time_zone": "Asia/Tokyo"}
    assert (await client.put("/api/v1/me/notification-settings", json=prefs, headers=account.headers)).is_success
    # Sunday 11 Jan 2026, 20:00 UTC is Monday 12 Jan in Tokyo: ISO week 3 there.
    await create(client, account, status="applied", applied_at="2026-01-11T20:00:00Z")
    answer = (await client.get(ANALYTICS, params={"from": "2026-01-12"}, headers=account.headers)).json()
    assert answer["time_zone"] == "Asia/Tokyo" and answer["overall"]["applied"] == 1
    assert [w["week"] for w in answer["by_week"]] == ["2026-W03"]


async def test_bad_periods_are_refused(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    for params, field in [
        ({"from": "2026-02-30"}, "from"),  # no such day
        ({"from": "2026-1-5"}, "from"),
        ({"to": "2300-01-01"}, "to"),
        ({"from": "2026-03-01", "to": "2026-02-01"}, "to"),  # before `from`
    ]:
        response = await client.get(ANALYTICS, params=params, headers=account.headers)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert any(field in error["field"] for error in response.json()["errors"]), response.json()
    assert (await client.get(ANALYTICS)).status_code == 401
