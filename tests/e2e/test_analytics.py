"""The Analytics tab in a real browser: seven applications with known timelines (imported over the
API as CSV, with their dates) drawn as a Sankey diagram whose bands carry the api's counts (the one
move back, screening → applied, listed and not drawn), the funnel's numbers and percentages, the
tables by source, week, match score and resume version with their "small sample" rows, the period
filter (a narrower period, an empty one, a bad one), and a live reload on `application.changed`.
The layout function itself is checked in the page on a flow with a cycle and a move between two ends.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests import factories
from tests.e2e.a11y import assert_contrast
from tests.e2e.stack import Stack
from tests.e2e.test_dashboard import _unlabelled_fields

LIVE_WITHIN = 20_000
DAY = "T10:00:00+00:00"

# name: (source, final status, applied day or None, timeline as (day, status); the first is the
# status it was created in). ISO weeks: 2026-W02 = 5-11 Jan, 2026-W03 = 12-18 Jan.
APPS: dict[str, tuple[str, str, str | None, list[tuple[str, str]]]] = {
    "Babbage & Co": ("LinkedIn", "accepted", "2026-01-05",
                     [("2026-01-02", "wishlist"), ("2026-01-05", "applied"), ("2026-01-08", "screening"),
                      ("2026-01-15", "interview"), ("2026-01-22", "offer"), ("2026-01-26", "accepted")]),
    "Jacquard Looms": ("LinkedIn", "rejected", "2026-01-06",
                       [("2026-01-06", "applied"), ("2026-01-09", "screening"), ("2026-01-16", "interview"),
                        ("2026-01-23", "rejected")]),
    "Hollerith": ("LinkedIn", "rejected", "2026-01-07", [("2026-01-07", "applied"), ("2026-01-14", "rejected")]),
    "Difference Works": ("LinkedIn", "ghosted", "2026-01-08", [("2026-01-08", "applied"), ("2026-02-05", "ghosted")]),
    "Analytical Engines": ("Referral", "offer", "2026-01-12",
                           [("2026-01-12", "applied"), ("2026-01-19", "interview"), ("2026-01-29", "offer")]),
    "Countess Labs": ("Referral", "screening", "2026-01-13",  # went back to applied once
                      [("2026-01-13", "applied"), ("2026-01-15", "screening"), ("2026-01-16", "applied"),
                       ("2026-01-20", "screening")]),
    "Somerville": ("LinkedIn", "wishlist", None, [("2026-01-09", "wishlist")]),
}  # fmt: skip

# Applied: all but Somerville (6). Responded: all applied but the ghosted one (5). Interviewed:
# Babbage, Jacquard, Analytical (3). Offered: Babbage, Analytical (2).
FORWARD = {
    ("wishlist", "applied", 1),
    ("applied", "screening", 3),  # Babbage, Jacquard, Countess (twice, counted once)
    ("applied", "interview", 1),
    ("applied", "rejected", 1),
    ("applied", "ghosted", 1),
    ("screening", "interview", 2),
    ("interview", "offer", 2),
    ("interview", "rejected", 1),
    ("offer", "accepted", 1),
}
BACK = ("screening", "applied", 1)  # Countess Labs


def as_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["company", "role", "status", "source", "applied_at", "created_at", "timeline"])
    for name, (source, status, applied, steps) in APPS.items():
        timeline, before = [], None
        for day, to in steps:
            timeline.append({"at": day + DAY, "from": before, "to": to, "note": ""})
            before = to
        created = steps[0][0] + DAY
        writer.writerow(
            [name, "Engineer", status, source, applied + DAY if applied else "", created, json.dumps(timeline)]
        )
    return out.getvalue().encode()


async def _links(page: Page) -> set[tuple[str, str, int]]:
    drawn = await page.locator("#analytics-sankey svg path").evaluate_all(
        "paths => paths.map(p => [p.dataset.source, p.dataset.target, Number(p.dataset.applications)])"
    )
    return {(source, target, count) for source, target, count in drawn}


async def _funnel(page: Page) -> dict[str, tuple[str, str]]:
    rows = await page.locator("#analytics-funnel li").evaluate_all(
        "items => items.map(li => [li.dataset.stage, li.querySelector('.n').textContent,"
        " li.querySelector('.rate').textContent])"
    )
    return {stage: (count, rate) for stage, count, rate in rows}


async def _table(page: Page, table: str) -> list[list[str]]:
    rows: list[list[str]] = await page.locator(f"#{table} tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))"
    )
    return rows


async def test_analytics_tab_draws_the_flow_funnel_and_groups(
    page: Page, stack: Stack, shots: Path, page_errors: list[str]
) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        account = await factories.account(http)
        await page.goto(stack.url + "/")
        form = page.locator("#sign-in")
        await form.get_by_label("Email").fill(account.email)
        await form.get_by_label("Password").fill(account.password)
        await form.get_by_role("button", name="Sign in").click()
        await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=LIVE_WITHIN)

        # No applications yet: the empty state, not an empty diagram.
        await page.get_by_role("tab", name="Analytics").click()
        panel = page.locator("#panel-analytics")
        await expect(page.locator("#analytics-empty")).to_contain_text("No applications yet")
        await expect(page.locator("#analytics-body")).to_be_hidden()
        await assert_contrast(page)

        # The seven applications arrive while the tab is open: `application.changed` reloads it.
        imported = await http.post(
            "/api/v1/applications/import",
            content=as_csv(),
            headers={**account.headers, "content-type": "text/csv"},
        )
        assert imported.status_code == 201, imported.text
        await expect(page.locator("#analytics-body")).to_be_visible(timeout=LIVE_WITHIN)
        await expect(page.locator("#analytics-empty")).to_be_hidden()
        await expect(page.locator("#analytics-status")).to_have_text("Applications of all time: 6 applied.")

        # The Sankey diagram: one band per move forward, with the api's counts; the move back listed.
        diagram = panel.get_by_role("img", name="How your applications moved between statuses")
        await expect(diagram).to_be_visible()
        await expect(page.locator("#analytics-sankey svg path")).to_have_count(len(FORWARD))
        assert await _links(page) == FORWARD
        nodes = await page.locator("#analytics-sankey svg .nodes > g").evaluate_all(
            "groups => groups.map(g => [g.dataset.status, Number(g.dataset.applications)])"
        )
        assert nodes == [
            ["wishlist", 2], ["applied", 6], ["screening", 3], ["interview", 3], ["offer", 2], ["accepted", 1],
            ["rejected", 2], ["ghosted", 1],
        ]  # fmt: skip
        widths = await page.locator("#analytics-sankey svg path").evaluate_all(
            "paths => Object.fromEntries(paths.map(p => [p.dataset.source + '>' + p.dataset.target,"
            " Number(p.getAttribute('stroke-width'))]))"
        )
        assert abs(widths["applied>screening"] - 3 * widths["wishlist>applied"]) < 0.2  # proportional
        assert abs(widths["interview>offer"] - 2 * widths["offer>accepted"]) < 0.2
        description = await diagram.evaluate("svg => svg.querySelector('desc').textContent")
        assert "Applied to Screening: 3 applications" in description
        assert "Screening back to Applied: 1 application" in description
        await expect(page.locator("#analytics-back")).to_have_text(
            "Moved back, not drawn (a Sankey diagram has no loops), listed in the table: Screening → Applied (1)."
        )
        moves = await _table(page, "panel-analytics .analytics-moves")
        assert len(moves) == len(FORWARD) + 1
        assert ["Screening", "Applied", "1", "back (not drawn)"] in moves
        assert ["Applied", "Screening", "3", "forward"] in moves

        # The funnel: counts and rates (5/6, 3/6, 2/6; the steps 3/5 and 2/3), enough applications.
        assert await _funnel(page) == {
            "applied": ("6", ""),
            "responded": ("5", "83% of applied"),
            "interviewed": ("3", "50% of applied · 60% of responses"),
            "offered": ("2", "33% of applied · 67% of interviews"),
        }
        await expect(page.locator("#analytics-funnel-note")).to_be_hidden()

        # The groups: fewer than 5 applied is marked and muted.
        assert await _table(page, "analytics-by-source") == [
            ["LinkedInsmall sample, n=4", "4", "3", "2", "1", "75%", "50%", "25%"],
            ["Referralsmall sample, n=2", "2", "2", "1", "1", "100%", "50%", "50%"],
        ]
        assert await _table(page, "analytics-by-week") == [
            ["2026-W02small sample, n=4", "4", "3", "2", "1", "75%", "50%", "25%"],
            ["2026-W03small sample, n=2", "2", "2", "1", "1", "100%", "50%", "50%"],
        ]
        assert await _table(page, "analytics-by-resume-version") == [
            ["No resume version", "6", "5", "3", "2", "83%", "50%", "33%"],
        ]
        bands = await _table(page, "analytics-by-match-band")
        assert bands[-1] == ["Not analysed", "6", "5", "3", "2", "83%", "50%", "33%"]
        assert bands[0] == ["Match 0\u201349small sample, n=0", "0", "0", "0", "0", "—", "—", "—"]
        small = page.locator("#analytics-by-source tr.small-sample").first
        await expect(small.locator(".sample")).to_have_text("small sample, n=4")
        muted = await small.locator("td").first.evaluate("td => getComputedStyle(td).color")
        normal = await page.locator("#analytics-by-resume-version tbody td").first.evaluate(
            "td => getComputedStyle(td).color"
        )
        assert muted != normal
        assert await _unlabelled_fields(page) == []
        await assert_contrast(page)
        await page.screenshot(path=str(shots / "25-analytics.png"), full_page=True)

        # A period: 12-18 Jan holds the two Referral applications only, a small sample overall.
        await panel.get_by_label("From").fill("2026-01-12")
        await panel.get_by_label("To").fill("2026-01-18")
        await panel.get_by_role("button", name="Show the period").click()
        await expect(page.locator("#analytics-status")).to_have_text(
            "Applications from 2026-01-12 to 2026-01-18: 2 applied."
        )
        assert await _links(page) == {
            ("applied", "screening", 1),
            ("applied", "interview", 1),
            ("interview", "offer", 1),
        }
        await expect(page.locator("#analytics-funnel-note")).to_have_text(
            "Small sample, n=2: these rates are anecdotes, not evidence yet."
        )
        assert (await _funnel(page))["responded"] == ("2", "100% of applied")

        # A period with nothing in it: the empty state names it.
        await panel.get_by_label("From").fill("2030-01-01")
        await panel.get_by_label("To").fill("")
        await panel.get_by_role("button", name="Show the period").click()
        await expect(page.locator("#analytics-empty")).to_contain_text("No application started from 2030-01-01 on")
        await expect(page.locator("#analytics-body")).to_be_hidden()

        # `to` before `from`: the api's field error, the field focused.
        await panel.get_by_label("From").fill("2026-01-20")
        await panel.get_by_label("To").fill("2026-01-10")
        await panel.get_by_role("button", name="Show the period").click()
        await expect(page.locator("#analytics-errors")).to_contain_text("to")
        await expect(panel.get_by_label("To")).to_be_focused()

        # "All time", then a new application from elsewhere while the tab is open: reloaded live.
        await panel.get_by_role("button", name="All time").click()
        await expect(page.locator("#analytics-errors")).to_have_text("")
        await expect(page.locator("#analytics-status")).to_have_text("Applications of all time: 6 applied.")
        created = await http.post(
            "/api/v1/applications",
            json={"company": "Lovelace Ltd", "role": "Engineer", "status": "applied"},
            headers=account.headers,
        )
        assert created.status_code == 201, created.text
        await expect(page.locator("#analytics-status")).to_have_text(
            "Applications of all time: 7 applied.", timeout=LIVE_WITHIN
        )
        assert (await _funnel(page))["responded"] == ("5", "71% of applied")

        # Hidden, it is not reloaded; opened again, it is (a change made while another tab was shown).
        await page.get_by_role("tab", name="Applications").click()
        await http.patch(
            f"/api/v1/applications/{created.json()['id']}", json={"status": "screening"}, headers=account.headers
        )
        await page.get_by_role("tab", name="Analytics").click()
        await expect(page.locator("#analytics-funnel li[data-stage='responded'] .n")).to_have_text("6")
    assert page_errors == []


async def test_the_sankey_layout_drops_moves_back_and_sideways(page: Page, stack: Stack) -> None:
    """`layoutSankey` (a pure function) on a flow with a cycle (offer → interview) and a move between
    two ends (rejected → withdrawn): both left out of the drawing and returned in `back`; every node
    fits its bands, the columns go left to right, and the fullest column fills the height."""
    await page.goto(stack.url + "/")
    result = await page.evaluate(
        """async () => {
          const { layoutSankey } = await import("/js/dashboard/src/sankey.js");
          const flow = {
            nodes: [{status: "applied", applications: 10}, {status: "interview", applications: 4},
                    {status: "offer", applications: 2}, {status: "rejected", applications: 6},
                    {status: "withdrawn", applications: 1}],
            links: [{source: "applied", target: "interview", applications: 4},
                    {source: "applied", target: "rejected", applications: 5},
                    {source: "interview", target: "offer", applications: 2},
                    {source: "interview", target: "rejected", applications: 1},
                    {source: "offer", target: "interview", applications: 1},
                    {source: "rejected", target: "withdrawn", applications: 1}],
          };
          const layout = layoutSankey(flow, {width: 600, height: 300, marginY: 0, gap: 10});
          const node = (s) => layout.nodes.find((n) => n.status === s);
          const fits = layout.nodes.every((n) => {
            const out = layout.links.filter((l) => l.source === n.status);
            const into = layout.links.filter((l) => l.target === n.status);
            const inside = (l, y) => y >= n.y - 0.01 && y + l.width <= n.y + n.height + 0.01;
            return out.every((l) => inside(l, l.sourceY)) && into.every((l) => inside(l, l.targetY));
          });
          return {
            drawn: layout.links.map((l) => [l.source, l.target, l.applications]),
            back: layout.back.map((l) => [l.source, l.target, l.applications]),
            columns: layout.nodes.map((n) => [n.status, n.column]),
            xs: ["applied", "interview", "offer", "rejected"].map((s) => node(s).x),
            heights: {applied: node("applied").height, interview: node("interview").height},
            lastColumn: node("rejected").height + node("withdrawn").height + 10,
            fits,
            width: layout.links.find((l) => l.target === "offer").width,
          };
        }"""
    )
    assert result["drawn"] == [
        ["applied", "interview", 4], ["applied", "rejected", 5],
        ["interview", "offer", 2], ["interview", "rejected", 1],
    ]  # fmt: skip
    assert result["back"] == [["offer", "interview", 1], ["rejected", "withdrawn", 1]]
    assert result["columns"] == [["applied", 1], ["interview", 3], ["offer", 4], ["rejected", 5], ["withdrawn", 5]]
    assert result["xs"] == sorted(result["xs"])
    assert result["fits"] is True
    # One scale: applied (10) is the fullest column and fills the 300 px; a band of 2 is 2/10 of it.
    assert abs(result["heights"]["applied"] - 300) < 0.01
    assert abs(result["heights"]["interview"] - 120) < 0.01
    assert abs(result["width"] - 60) < 0.01
    assert result["lastColumn"] <= 300.01
