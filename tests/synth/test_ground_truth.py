"""Ground truth covers exactly the identities in the files; hard negatives are distinct people."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
from synth_helpers import Dataset, classify, load

from cdp.synth import GenerateOptions, generate
from cdp.synth._emails import Mailboxes, mailbox_key
from cdp.synth._noise import ascii_fold
from cdp.synth._people import Person, Population
from cdp.synth._vocab import NICKNAMES


def _identities_in_files(ds: Dataset) -> list[tuple[str, str]]:
    keys = [("crm", r["Id"]) for r in ds.crm] + [("erp", r["KUNNR"]) for r in ds.erp]
    web: dict[str, None] = {}
    for msg in ds.web_messages():
        web[msg.get("userId") or msg["anonymousId"]] = None
    return keys + [("web", k) for k in web]


def test_ground_truth_covers_exactly_the_identities_in_the_files(dataset: Dataset) -> None:
    truth = Counter((r["source"], r["source_record_id"]) for r in dataset.truth)
    assert all(n == 1 for n in truth.values()), "an identity appears twice in ground truth"
    in_files = _identities_in_files(dataset)
    assert len(in_files) == len(set(in_files)), "a record id is used twice"
    assert set(truth) == set(in_files)
    assert {r["source"] for r in dataset.truth} == {"crm", "erp", "web"}


def test_bad_lines_bring_no_identity_of_their_own(dataset: Dataset) -> None:
    good = {k for s, k in _identities_in_files(dataset) if s == "web"}
    for line in dataset.web_lines:
        kind, msg = classify(line)
        if kind == "track_without_event":
            assert msg is not None
            assert (msg.get("userId") or msg["anonymousId"]) in good


def test_every_person_belongs_to_one_household(dataset: Dataset) -> None:
    household: dict[str, str] = {}
    for r in dataset.truth:
        assert household.setdefault(r["person_id"], r["household_id"]) == r["household_id"]
    assert len(set(household.values())) < len(household)  # some households hold several people


def test_crm_duplicates_are_one_person_with_several_ids(dataset: Dataset) -> None:
    truth = dataset.truth_by_key
    rows = defaultdict(list)
    for r in dataset.crm:
        rows[truth["crm", r["Id"]]["person_id"]].append(r)
    dups = {p: rs for p, rs in rows.items() if len(rs) > 1}
    assert len(dups) == dataset.manifest["counts"]["crm_duplicates"] - sum(
        len(rs) - 2 for rs in dups.values()
    )
    assert len(dups) >= 0.02 * len(rows)
    same_last = sum(len({r["LastName"].lower() for r in rs}) == 1 for rs in dups.values())
    assert same_last >= 0.7 * len(dups)  # slight variations, not different people


def test_no_mailbox_is_shared_across_households(dataset: Dataset) -> None:
    """Namesakes collide on names, never on e-mail; only a family shares an address."""
    truth = dataset.truth_by_key
    owners: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for r in dataset.crm:
        if r["Email"]:
            t = truth["crm", r["Id"]]
            owners[mailbox_key(r["Email"])].add((t["person_id"], t["household_id"]))
    for r in dataset.erp:
        if r["SMTP_ADDR"]:
            t = truth["erp", r["KUNNR"]]
            owners[mailbox_key(r["SMTP_ADDR"])].add((t["person_id"], t["household_id"]))
    shared = {m: o for m, o in owners.items() if len(o) > 1}
    assert shared, "expected some family mailboxes"
    for mailbox, people in shared.items():
        assert len({h for _, h in people}) == 1, mailbox


# -- hard negatives, checked against the population the files were made from ------------------

HARD = GenerateOptions(
    people=1_500,
    seed=21,
    household_share=0.5,
    twin_share=0.12,
    namesake_share=0.12,
    crm_coverage=0.9,
    erp_coverage=0.6,
    events_per_web_user=4,
)


@pytest.fixture(scope="module")
def hard(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, list[Person]]:
    report = generate(tmp_path_factory.mktemp("hard") / "data", HARD)
    people = list(Population(HARD, Mailboxes(expected=HARD.people * 3)))
    return load(report), people


def _person_ids_with_records(ds: Dataset) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for r in ds.truth:
        out[r["person_id"]].add(r["source"])
    return out


def test_households_share_surname_address_and_landline(hard: tuple[Dataset, list[Person]]) -> None:
    ds, people = hard
    present = _person_ids_with_records(ds)
    households: dict[str, list[Person]] = defaultdict(list)
    for p in people:
        households[p.hid].append(p)
    pairs = 0
    for members in households.values():
        seen = [p for p in members if p.pid in present]
        for i, a in enumerate(seen):
            for b in seen[i + 1 :]:
                assert a.pid != b.pid and a.address == b.address and a.landline == b.landline
                if a.last == b.last and a.first != b.first and a.birth != b.birth:
                    pairs += 1
    assert pairs >= 50
    truth_households = {r["person_id"]: r["household_id"] for r in ds.truth}
    assert len({truth_households[p] for p in present}) < len(present)


def test_twins_are_distinct_people_with_one_birthday(hard: tuple[Dataset, list[Person]]) -> None:
    ds, people = hard
    present = _person_ids_with_records(ds)
    twins: dict[str, list[Person]] = defaultdict(list)
    for p in people:
        if "twin" in p.tags:
            twins[p.hid].append(p)
    complete = [t for t in twins.values() if len(t) == 2]
    assert len(complete) >= 40
    similar = 0
    for a, b in complete:
        assert a.pid != b.pid
        assert a.birth == b.birth and a.last == b.last and a.address == b.address
        assert a.first != b.first
        similar += _close(a.first, b.first)
    assert similar >= 3  # Anna / Hanna, Lena / Lina ...
    assert sum(a.pid in present and b.pid in present for a, b in complete) >= 20


def _close(a: str, b: str) -> bool:
    """Edit distance <= 2 (enough for Anna/Hanna, Paul/Paula, Tim/Tom)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] <= 2


def test_namesakes_share_a_name_not_a_town_or_birthday(hard: tuple[Dataset, list[Person]]) -> None:
    ds, people = hard
    present = _person_ids_with_records(ds)
    earlier: dict[tuple[str, str, str], list[Person]] = defaultdict(list)
    found = 0
    for p in people:
        if "namesake" in p.tags:
            others = earlier[p.country, p.first, p.last]
            assert others, f"{p.first} {p.last} has no earlier namesake"
            assert any(o.address.city != p.address.city for o in others)
            assert all(o.birth != p.birth for o in others)
            assert all(o.email != p.email for o in others if o.email and p.email)
            found += p.pid in present and any(o.pid in present for o in others)
        earlier[p.country, p.first, p.last].append(p)
    assert found >= 20


def test_population_tags_match_the_reported_counts(hard: tuple[Dataset, list[Person]]) -> None:
    ds, people = hard
    counts = ds.manifest["counts"]
    assert counts["namesakes"] == sum("namesake" in p.tags for p in people)
    assert counts["people"] == len(people) == HARD.people
    assert counts["households"] == len({p.hid for p in people})


def test_twin_share_drives_twin_pairs(tmp_path: Path) -> None:
    report = generate(
        tmp_path / "x", GenerateOptions(people=200, seed=1, twin_share=0.5, household_share=0.2)
    )
    assert report.counts["twin_pairs"] >= 30


def test_records_carry_the_realistic_kinds_of_noise(hard: tuple[Dataset, list[Person]]) -> None:
    ds, people = hard
    person = {p.pid: p for p in people}
    truth = ds.truth_by_key
    seen: Counter[str] = Counter()
    for r in ds.crm:
        p = person[truth["crm", r["Id"]]["person_id"]]
        first, last = r["FirstName"], r["LastName"]
        seen["nickname"] += first in NICKNAMES.get(p.first, ())
        seen["transliteration"] += last != p.last and last == ascii_fold(p.last)
        seen["typo"] += (
            last not in (p.last, ascii_fold(p.last), ascii_fold(p.last, german=False))
            and "-" not in p.last
            and _close(last, p.last)
        )
        if p.old_address is not None and r["MailingPostalCode"]:
            old, new = p.old_address.postcode, p.address.postcode
            seen["old address"] += r["MailingPostalCode"] == old != new
        if r["Email"] and p.old_email:
            seen["old email"] += mailbox_key(r["Email"]) == mailbox_key(p.old_email)
        if r["Email"] and p.email and r["Email"] != p.email:
            seen["email variant"] += mailbox_key(r["Email"]) == mailbox_key(p.email)
        seen["missing email"] += r["Email"] == "" and p.email is not None
    for kind in (
        "nickname",
        "transliteration",
        "typo",
        "old address",
        "old email",
        "email variant",
        "missing email",
    ):
        assert seen[kind] >= 3, (kind, seen)
