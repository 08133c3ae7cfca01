"""The sandbox's cast: ~80 client contacts on a few company domains, the firm's
staff, internal lists; ids shaped like the CRM's (ObjectId strings)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime

DAYS = 30

# --- people ---------------------------------------------------------------------

_FIRST_NAMES_TEXT = (
    "Olivia Liam Emma Noah Ava Elijah Sophia James Isabella William Mia Benjamin Amelia "
    "Lucas Harper Henry Evelyn Theo Chloe Mateo Nora Hugo Zoe Ines Jonas Lea Omar Aisha "
    "Kenji Yuki Priya Arjun Sofia Diego Marta Pavel Elena Tomas Freya Lars"
)
_LAST_NAMES_TEXT = (
    "Smith Johnson Brown Garcia Miller Davis Martinez Lopez Wilson Anderson Taylor Thomas "
    "Moore Jackson Martin Lee Perez Thompson White Harris Clark Lewis Walker Hall Young "
    "King Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter "
    "Phillips Evans Turner"
)
FIRST_NAMES: tuple[str, ...] = tuple(_FIRST_NAMES_TEXT.split())
LAST_NAMES: tuple[str, ...] = tuple(_LAST_NAMES_TEXT.split())
CLIENT_DOMAINS = (
    ("acme-logistics.example", "Acme Logistics"),
    ("northwind-traders.example", "Northwind Traders"),
    ("globex.example", "Globex Corporation"),
    ("initech.example", "Initech"),
    ("umbrella-health.example", "Umbrella Health"),
    ("bluebird-bakery.example", "Bluebird Bakery"),
    ("hooli.example", "Hooli"),
    ("mail.example", ""),  # private clients on a webmail provider
)
_INTERNAL_DOMAIN = "depllc.example"


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    clientId: str | None = None
    company: str = ""
    userId: str | None = None


def hex_id(rng: random.Random) -> str:
    """An ObjectId-shaped identifier (the CRM's ids are ObjectId strings)."""
    return f"{rng.getrandbits(96):024x}"


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class People:
    clients: list[Person]
    staff: list[Person]
    system: Person
    internal: list[Person]


def make_people(
    rng: random.Random, operator: str | None = None, user_id: str | None = None
) -> People:
    """~80 client contacts on a few company domains, eight staff, internal lists.

    With `operator` (the console user's login), the first staff member is that
    operator, with `user_id` (their CRM user id, else the login) as user id, as the
    console records its own uploads and sends: so the sandbox's operator owns some
    files and logs, and sees them."""
    clients: list[Person] = []
    used: set[str] = set()
    while len(clients) < 80:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        domain, company = CLIENT_DOMAINS[len(clients) % len(CLIENT_DOMAINS)]
        local = f"{first}.{last}".lower() if company else f"{first[0]}{last}{rng.randint(7, 99)}"
        email = f"{local.lower()}@{domain}"
        if email in used:
            continue
        used.add(email)
        clients.append(Person(f"{first} {last}", email, hex_id(rng), company or "private"))
    staff_names = (
        ("Maria Chen", "mchen"),
        ("Daniel Okafor", "dokafor"),
        ("Sara Lindqvist", "slindqvist"),
        ("Tom Becker", "tbecker"),
        ("Ana Ruiz", "aruiz"),
        ("Raj Patel", "rpatel"),
        ("Julia Novak", "jnovak"),
        ("Ben Carter", "bcarter"),
    )
    staff = [
        Person(name, f"{login}@{_INTERNAL_DOMAIN}", userId=hex_id(rng))
        for name, login in staff_names
    ]
    if operator:
        staff[0] = Person(operator, f"{operator}@{_INTERNAL_DOMAIN}", userId=user_id or operator)
    system = Person("DepLLC CRM", f"crm@{_INTERNAL_DOMAIN}", userId=hex_id(rng))
    internal = [
        Person("Operations", f"ops@{_INTERNAL_DOMAIN}"),
        Person("IT", f"it@{_INTERNAL_DOMAIN}"),
        Person("Finance", f"finance@{_INTERNAL_DOMAIN}"),
    ]
    return People(clients, staff, system, internal)


def login_of(person: Person) -> str:
    return person.email.split("@", 1)[0]


def to_ms(value: datetime) -> datetime:
    """Millisecond precision, as MongoDB stores dates."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)
