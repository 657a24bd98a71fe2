"""Write seeded, realistic auditkit JSONL for benchmarks: support conversations of ~20 events.

Each conversation has a customer, one or two agents and sometimes a bot; its events are
mostly messages of varied length, with the status, assignment, action, consent, tag,
resolution and CSAT events a real support desk produces. The same seed always writes
the same bytes.

    python bench/generate.py --conversations 10000 --seed 1 --out /tmp/conversations.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EVENTS_PER_CONVERSATION = 20
"""The mean number of events in a generated conversation."""

START = datetime(2024, 1, 1, tzinfo=UTC)

FIRST_NAMES = tuple(
    [
        "María",
        "Daniel",
        "Sophie",
        "Ahmed",
        "Olivia",
        "Liam",
        "Zoë",
        "Noah",
        "Amara",
        "Lucas",
        "Tomasz",
        "Priya",
        "Chen",
        "Fatima",
        "Jonas",
        "Aoife",
        "Mateo",
        "Yuki",
        "Kwame",
        "Ingrid",
        "Łukasz",
        "Sinéad",
        "Oluwaseun",
        "Hana",
        "Rafael",
        "Emma",
        "Arjun",
        "Leila",
        "Finn",
        "Nadia",
    ]
)
LAST_NAMES = tuple(
    [
        "González",
        "Osei",
        "Lambert",
        "Karimi",
        "Smith",
        "Jones",
        "Nowak",
        "Okafor",
        "Silva",
        "Müller",
        "Patel",
        "Wang",
        "Haddad",
        "Berg",
        "Murphy",
        "Rossi",
        "Tanaka",
        "Mensah",
        "Johansson",
        "Kowalski",
        "O'Brien",
        "Adeyemi",
        "Kim",
        "Fernández",
        "Brown",
        "Singh",
    ]
)
TEAMS = ("Cards", "Payments", "Accounts", "Lending", "Fraud", "Mobile App", "Mortgages")
CHANNELS = ("web_chat", "web_chat", "whatsapp", "in_app", "email", "sms")
SEGMENTS = ("retail-banking", "retail-banking", "premier", "business", "student")
BOT_CHANNELS = frozenset({"web_chat", "in_app", "whatsapp"})
AGENT_POOL = 240
"""Agents are drawn from one desk of this size, so the same agents recur across conversations."""


@dataclass(frozen=True)
class Topic:
    """One kind of support request: what the customer says, what the agent does about it."""

    intent: str
    tag: str
    team: str
    complaints: tuple[str, ...]
    replies: tuple[str, ...]
    actions: tuple[str, ...]
    resolutions: tuple[str, ...]


TOPICS = (
    Topic(
        intent="card-dispute",
        tag="cards",
        team="Cards",
        complaints=(
            "I was charged twice by {merchant} on {date}, {amount} each time.",
            "There is a payment to {merchant} for {amount} that I do not recognise.",
            "I only bought one item but the statement shows two transactions.",
            "The merchant says they refunded me on {date} but nothing has arrived.",
            "Can you tell me why the pending amount is still there after five days?",
        ),
        replies=(
            "I can see both transactions of {amount} to {merchant} on {date}.",
            "I will raise a dispute with the merchant for the duplicate payment.",
            "Disputes usually take up to ten working days to resolve.",
            "I have added a temporary credit of {amount} while we investigate.",
            "You will get a letter confirming the dispute reference {reference}.",
        ),
        actions=("raise-chargeback", "issue-refund", "lookup-transactions"),
        resolutions=("dispute-raised-temporary-credit", "dispute-raised", "refund-confirmed"),
    ),
    Topic(
        intent="suspected-fraud",
        tag="fraud",
        team="Fraud",
        complaints=(
            "There are three transactions I never made, all within an hour.",
            "I got a text asking me to confirm a payment of {amount} that was not me.",
            "Someone has used my card at {merchant}, I still have the card with me.",
            "Please block my card right now, I think my details were stolen.",
        ),
        replies=(
            "I have blocked the card ending {last4} so no further payments can go through.",
            "I am opening a fraud claim for the transactions you did not make.",
            "A replacement card will arrive at your registered address in 3 to 5 working days.",
            "Please do not share any one-time passcodes with anyone, including us.",
            "The fraud team will contact you within 48 hours with the outcome.",
        ),
        actions=("block-card", "open-fraud-claim", "order-replacement-card"),
        resolutions=("fraud-claim-opened", "card-blocked-replaced"),
    ),
    Topic(
        intent="address-change",
        tag="account-maintenance",
        team="Accounts",
        complaints=(
            "I moved house last month and need to update my address.",
            "My statements are still going to my old address in {city}.",
            "How do I change the address on my account? The app will not let me.",
        ),
        replies=(
            "I can update that for you once I have verified your identity.",
            "Your address is now {street}, {city}. Statements will go there from now on.",
            "For security we will send a confirmation letter to both addresses.",
        ),
        actions=("verify-identity", "update-address"),
        resolutions=("address-updated", "verification-failed"),
    ),
    Topic(
        intent="fee-refund",
        tag="fees",
        team="Payments",
        complaints=(
            "I was charged an overdraft fee of {amount} but my salary arrived the same day.",
            "Why was I charged {amount} for a transfer that should be free?",
            "This is the second month in a row I have paid a fee I did not expect.",
        ),
        replies=(
            "I can see the fee of {amount} applied on {date}.",
            "As a goodwill gesture I have refunded the fee; it will show in 1 to 2 working days.",
            "You can set up a low balance alert in the app to avoid this in future.",
        ),
        actions=("issue-refund", "lookup-transactions"),
        resolutions=("fee-refunded", "fee-explained"),
    ),
    Topic(
        intent="app-login",
        tag="digital",
        team="Mobile App",
        complaints=(
            "The app keeps saying my passcode is wrong and now I am locked out.",
            "I changed phones and cannot log in to the app any more.",
            "Face ID stopped working after the last update.",
        ),
        replies=(
            "I have reset your app registration; please reinstall and log in again.",
            "You will receive a one-time activation code by text to the number ending {last4}.",
            "Version {version} fixes the Face ID problem; please update from the store.",
        ),
        actions=("reset-app-registration", "send-activation-code"),
        resolutions=("access-restored", "app-update-advised"),
    ),
    Topic(
        intent="loan-enquiry",
        tag="lending",
        team="Lending",
        complaints=(
            "I would like to know how much I could borrow for a car, around {amount}.",
            "Can I pay off my loan early, and is there a fee for that?",
            "My loan repayment date falls on a weekend, will it still be taken?",
        ),
        replies=(
            "Your settlement figure today is {amount}, valid for 28 days.",
            "Early repayment is allowed; the charge is at most 58 days of interest.",
            "Repayments that fall on a weekend are taken the next working day.",
        ),
        actions=("quote-settlement", "lookup-loan"),
        resolutions=("information-given", "settlement-quoted"),
    ),
)

FILLERS = (
    "Thanks for waiting.",
    "Let me check that for you.",
    "Is there anything else I can help with today?",
    "Could you confirm your date of birth and postcode, please?",
    "I understand this is frustrating.",
    "Just to confirm, is that the card ending {last4}?",
    "I have made a note on your account.",
    "Bear with me a moment while I look into this.",
)
CUSTOMER_SHORT = (
    "ok",
    "thanks",
    "yes",
    "yes that's right",
    "no",
    "great, thank you!",
    "how long will it take?",
    "ok thanks 👍",
    "sure",
    "is that all?",
    "perfect",
    "still waiting…",
    "thank you so much",
)
CUSTOMER_EXTRA = (
    "I have been a customer for over ten years and this has never happened before.",
    "I already called yesterday and was told someone would get back to me.",
    "My date of birth is {dob} and my postcode is {postcode}.",
    "I need this sorted before the weekend because rent is due.",
    "Sorry, I am on the train so the signal is bad.",
    "Can you email me a summary at {email}?",
    "The reference on the letter was {reference}.",
)
MERCHANTS = ("Lumen Electronics", "Parcelpoint", "CityCabs", "Northwind Grocers", "Skyline Air")
CITIES = ("Leeds", "Bristol", "Glasgow", "Cardiff", "Belfast", "Manchester", "Norwich")
STREETS = ("Larch Road", "High Street", "Mill Lane", "Station Road", "Church Street")
CSAT_COMMENTS = (
    "Quick and clear, thanks.",
    "Got there in the end but it took too long.",
    "Very helpful agent.",
    "Felt rushed.",
    "Had to repeat myself three times.",
)


@dataclass
class Clock:
    """The time of the next event: strictly forward, a few seconds to minutes apart."""

    now: datetime

    def tick(self, rng: random.Random, low: int = 2, high: int = 120) -> str:
        """Advance and return the new time as RFC 3339 UTC."""
        self.now += timedelta(seconds=rng.randint(low, high))
        return self.now.strftime("%Y-%m-%dT%H:%M:%SZ")


def fill(template: str, facts: dict[str, str]) -> str:
    """Substitute the conversation's facts into a sentence template."""
    return template.format_map(facts)


def customer_text(
    rng: random.Random, topic: Topic, facts: dict[str, str], *, opening: bool, long: bool
) -> str:
    """A customer message: often a word or two, sometimes a long paragraph (email: longer)."""
    if not opening and not long and rng.random() < 0.35:
        return rng.choice(CUSTOMER_SHORT)
    sentences = [fill(rng.choice(topic.complaints), facts)]
    extra = (0, 1, 2, 3, 5, 12) if long else (0, 1, 2, 3, 5, 8)
    for _ in range(rng.choices(extra, weights=(40, 30, 15, 10, 4, 1))[0]):
        pool = CUSTOMER_EXTRA if rng.random() < 0.6 else topic.complaints
        sentences.append(fill(rng.choice(pool), facts))
    text = " ".join(sentences)
    return text.lower() if rng.random() < 0.15 else text


def agent_text(rng: random.Random, topic: Topic, facts: dict[str, str]) -> str:
    """An agent message: a reply about the topic with some courtesy around it."""
    sentences: list[str] = []
    if rng.random() < 0.4:
        sentences.append(fill(rng.choice(FILLERS), facts))
    for _ in range(rng.choices((1, 2, 3, 4), weights=(45, 30, 15, 10))[0]):
        sentences.append(fill(rng.choice(topic.replies), facts))
    if rng.random() < 0.2:
        sentences.append(fill(rng.choice(FILLERS), facts))
    return " ".join(sentences)


def agent(number: int) -> dict[str, str]:
    """The desk's agent ``number`` (deterministic, independent of the seed)."""
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    last = LAST_NAMES[(number * 7) % len(LAST_NAMES)]
    return {
        "id": f"agent-{number:04d}",
        "role": "agent",
        "name": f"{first} {last}",
        "team": TEAMS[number % len(TEAMS)],
        "email": f"agent{number:04d}@northbank.example",
    }


def conversation(rng: random.Random, seed: int, number: int) -> dict[str, Any]:
    """One conversation document in auditkit's JSONL shape."""
    cid = f"bench-{seed}-{number:07d}"
    topic = rng.choice(TOPICS)
    channel = rng.choice(CHANNELS)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    customer_id = f"cust-{seed}-{number:07d}"
    email = f"{first.lower()}.{last.lower().replace(' ', '')}{rng.randint(1, 99)}@example.com"
    customer: dict[str, str] = {"id": customer_id, "role": "customer", "name": f"{first} {last}"}
    if rng.random() < 0.7:
        customer["email"] = email
    if rng.random() < 0.5:
        customer["phone"] = f"+44 7700 9{rng.randint(0, 99999):05d}"
    agents = [agent(rng.randrange(AGENT_POOL))]
    if rng.random() < 0.3:
        second = agent(rng.randrange(AGENT_POOL))
        if second["id"] != agents[0]["id"]:
            agents.append(second)
    bot = (
        {"id": "bot-nova", "role": "bot", "name": "Nova", "team": "Virtual Assistant"}
        if channel in BOT_CHANNELS and rng.random() < 0.5
        else None
    )
    facts = {
        "merchant": rng.choice(MERCHANTS),
        "amount": f"£{rng.randint(5, 2500)}.{rng.randint(0, 99):02d}",
        "date": f"{rng.randint(1, 28)} {rng.choice(('March', 'April', 'May', 'June'))}",
        "reference": f"CB-{rng.randint(1000000, 9999999)}",
        "last4": f"{rng.randint(0, 9999):04d}",
        "city": rng.choice(CITIES),
        "street": f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
        "version": f"7.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
        "dob": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2004)}",
        "postcode": f"LS{rng.randint(1, 29)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
        "email": email,
    }
    long = channel == "email"
    sessions = channel not in ("email", "sms")
    clock = Clock(START + timedelta(seconds=rng.randrange(365 * 24 * 3600)))
    events: list[dict[str, Any]] = []

    def add(kind: str, **fields: Any) -> None:
        events.append({"type": kind, "at": clock.tick(rng), **fields})

    def exchange(owner: dict[str, str], turns: int) -> None:
        for _ in range(turns):
            add(
                "message",
                author=customer_id,
                text=customer_text(rng, topic, facts, opening=False, long=long),
            )
            add("message", author=owner["id"], text=agent_text(rng, topic, facts))

    target = max(8, round(rng.gauss(EVENTS_PER_CONVERSATION - 1, 4)))
    add("status", status="opened")
    if sessions:
        add("status", status="session_started")
    if bot is not None:
        add(
            "message",
            author=bot["id"],
            text="Hi, I'm Nova, NorthBank's virtual assistant. What can I help you with today?",
        )
        add(
            "message",
            author=customer_id,
            text=customer_text(rng, topic, facts, opening=True, long=long),
        )
        add(
            "message",
            author=bot["id"],
            text=f"Thanks, I'm connecting you to one of our {topic.team} specialists now.",
        )
        add(
            "internal_note",
            author=bot["id"],
            text=f"Customer intent detected: {topic.intent}.",
            fields={"detected_intent": topic.intent, "confidence": round(rng.uniform(0.5, 1), 2)},
        )
        add("assignment", **{"from": bot["id"], "to": agents[0]["id"]}, reason="needs a specialist")
    else:
        add(
            "assignment",
            **{"from": None, "to": agents[0]["id"]},
            reason=f"routed: {topic.team.lower()} queue",
        )
        add(
            "message",
            author=customer_id,
            text=customer_text(rng, topic, facts, opening=True, long=long),
        )
    add("message", author=agents[0]["id"], text=agent_text(rng, topic, facts))
    if rng.random() < 0.6:
        add(
            "action",
            name="verify-identity",
            actor=agents[0]["id"],
            outcome="success" if rng.random() < 0.9 else "failure",
            fields={"method": "knowledge-based", "factors": ["date_of_birth", "postcode"]},
        )
    closing = 3 + sessions + (len(agents) - 1) * 2
    turns = max(1, (target - len(events) - closing - 1) // 2)
    first_share = turns if len(agents) == 1 else max(1, turns // 2)
    exchange(agents[0], first_share)
    if rng.random() < 0.15:
        add(
            "consent",
            subject=customer_id,
            scope="share-details-with-merchant",
            decision="given" if rng.random() < 0.9 else "withdrawn",
            actor=agents[0]["id"],
        )
    owner = agents[0]
    if len(agents) == 2:
        if rng.random() < 0.3:
            add(
                "escalation",
                by=agents[0]["id"],
                to=f"{topic.team.lower()}-team",
                reason="needs a second opinion",
            )
        add(
            "assignment",
            **{"from": agents[0]["id"], "to": agents[1]["id"]},
            reason=f"transfer to {agents[1]['team']}",
        )
        owner = agents[1]
        exchange(owner, max(1, turns - first_share))
    add(
        "action",
        name=rng.choice(topic.actions),
        actor=owner["id"],
        outcome="success" if rng.random() < 0.92 else "failure",
        fields={"reference": facts["reference"], "amount": facts["amount"][1:], "currency": "GBP"},
    )
    if rng.random() < 0.3:
        add(
            "internal_note",
            author=owner["id"],
            text=agent_text(rng, topic, facts),
            fields={"follow_up": rng.random() < 0.5},
        )
    add("message", author=owner["id"], text=agent_text(rng, topic, facts))
    if rng.random() < 0.4:
        add("tag", tag=topic.tag)
    add("resolution_code", code=rng.choice(topic.resolutions))
    add("status", status="resolved")
    if rng.random() < 0.3:
        score = rng.randint(1, 5)
        csat: dict[str, Any] = {"score": score, "scale": 5}
        if rng.random() < 0.4:
            csat["comment"] = rng.choice(CSAT_COMMENTS)
        add("csat", **csat)
    if sessions:
        add("status", status="session_ended")

    if rng.random() < 0.75:  # most sources give events ids; the rest are keyed by content
        events = [
            {"id": f"{cid}-e{index:03d}", **event} for index, event in enumerate(events, start=1)
        ]
    participants = [customer, *([bot] if bot else []), *agents]
    document: dict[str, Any] = {
        "conversation_id": cid,
        "channel": channel,
        "customer": customer_id,
        "participants": participants,
        "intents": [topic.intent],
        "tags": [topic.tag],
        "segment": rng.choice(SEGMENTS),
        "events": events,
    }
    return document


def conversations(count: int, seed: int) -> Iterator[dict[str, Any]]:
    """``count`` conversation documents, the same for the same ``seed``."""
    rng = random.Random(seed)
    for number in range(count):
        yield conversation(rng, seed, number)


def write_conversations(path: Path, count: int, seed: int) -> int:
    """Write ``count`` conversations as JSONL to ``path``; returns the number of events."""
    events = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for document in conversations(count, seed):
            events += len(document["events"])
            handle.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
    return events


def main(argv: list[str] | None = None) -> int:
    """Command line: write ``--conversations`` conversations for ``--seed`` to ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, required=True, help="how many to write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, required=True, help="the JSONL file to write")
    args = parser.parse_args(argv)
    if args.conversations < 0:
        parser.error("--conversations must not be negative")
    events = write_conversations(args.out, args.conversations, args.seed)
    print(f"wrote {args.conversations} conversations, {events} events, to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
