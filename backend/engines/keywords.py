"""Skill keywords found in free text, normalised so spellings of one skill compare equal.

`terms(text)` finds the known skills a text names (n-grams of up to three words looked up in
`VOCABULARY`); `key(term)` is the comparison form: lower case, punctuation and spaces dropped,
aliases folded, so "React" = "React.js" = "ReactJS", "Postgres" = "PostgreSQL", "k8s" = "Kubernetes".
Framework-free; used by the analysis and by the offline cover-letter writer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

# canonical display name -> other spellings (compared by `_compact`)
_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "React": ("react.js", "reactjs", "react js"),
    "PostgreSQL": ("postgres", "psql", "postgre sql"),
    "JavaScript": ("js", "ecmascript", "es6"),
    "TypeScript": ("ts",),
    "Node.js": ("node", "nodejs"),
    "Vue.js": ("vue", "vuejs"),
    "Next.js": ("next", "nextjs"),
    "Angular": ("angularjs", "angular.js"),
    "Kubernetes": ("k8s",),
    "Go": ("golang",),
    "AWS": ("amazon web services",),
    "GCP": ("google cloud", "google cloud platform"),
    "Azure": ("microsoft azure",),
    "CI/CD": ("ci cd", "continuous integration", "continuous delivery", "continuous deployment"),
    "Machine Learning": ("ml",),
    "Deep Learning": ("dl",),
    "Natural Language Processing": ("nlp",),
    "scikit-learn": ("sklearn", "scikit learn"),
    "C#": ("csharp", "c sharp"),
    "C++": ("cpp",),
    ".NET": ("dotnet", "net core", ".net core"),
    "MongoDB": ("mongo",),
    "Elasticsearch": ("elastic search",),
    "REST": ("rest api", "rest apis", "restful", "restful apis"),
    "GraphQL": (),
    "gRPC": (),
    "Terraform": (),
    "Docker": (),
    "Python": (),
    "SQL": (),
    "MySQL": (),
    "Redis": (),
    "Kafka": ("apache kafka",),
    "Spark": ("apache spark", "pyspark"),
    "Airflow": ("apache airflow",),
    "Snowflake": (),
    "dbt": (),
    "FastAPI": ("fast api",),
    "Django": ("django rest framework", "drf"),
    "Flask": (),
    "Java": (),
    "Kotlin": (),
    "Swift": (),
    "Rust": (),
    "Ruby": (),
    "Rails": ("ruby on rails", "ror"),
    "PHP": (),
    "Scala": (),
    "HTML": ("html5",),
    "CSS": ("css3",),
    "Tailwind CSS": ("tailwind", "tailwindcss"),
    "Redux": (),
    "Jest": (),
    "Cypress": (),
    "Playwright": (),
    "Webpack": (),
    "Vite": (),
    "Linux": (),
    "Git": (),
    "GitHub Actions": (),
    "CircleCI": (),
    "Jenkins": (),
    "Helm": (),
    "Ansible": (),
    "Prometheus": (),
    "Grafana": (),
    "OpenTelemetry": ("otel",),
    "Datadog": (),
    "ECS": (),
    "EKS": (),
    "RDS": (),
    "S3": (),
    "Lambda": ("aws lambda",),
    "ElastiCache": (),
    "DynamoDB": (),
    "BigQuery": (),
    "asyncio": (),
    "Microservices": ("microservice",),
    "Distributed Systems": ("distributed system",),
    "Event-driven Architecture": ("event driven", "event-driven"),
    "TensorFlow": (),
    "PyTorch": (),
    "Pandas": (),
    "NumPy": (),
    "LLM": ("llms", "large language models", "large language model"),
    "MLOps": (),
    "Figma": (),
    "Agile": ("scrum",),
    "Jira": (),
    "A/B Testing": ("ab testing", "a b testing", "experimentation"),
    "Product Strategy": (),
    "Roadmapping": ("roadmap", "roadmaps", "product roadmap"),
    "Stakeholder Management": ("stakeholders",),
    "Data Analysis": ("analytics",),
    "Accessibility": ("a11y", "wcag"),
    "Observability": (),
    "Caching": ("cache",),
    "Rate Limiting": (),
    "ETL": ("elt",),
    "Data Warehousing": ("data warehouse", "data warehouses"),
    "Mentoring": ("mentor", "mentorship"),
    "On-call": ("on call", "on-call rotations", "on call rotations"),
}


def _compact(term: str) -> str:
    """Lower case with spaces and punctuation dropped ('+' and '#' kept: C++ and C# are not C)."""
    return re.sub(r"[^a-z0-9+#]", "", term.lower().replace(".js", "js"))


VOCABULARY: Final[dict[str, str]] = {}  # compact spelling -> canonical display name
for _name, _others in _ALIASES.items():
    for _spelling in (_name, *_others):
        VOCABULARY[_compact(_spelling)] = _name
VOCABULARY.pop("", None)
_SHORT_AMBIGUOUS: Final[frozenset[str]] = frozenset({"go", "next", "node", "ts", "js", "dl", "ml", "net"})
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9+#.]*(?:[/-][A-Za-z0-9+#.]+)*|\.NET", re.IGNORECASE)


def key(term: str) -> str:
    """The comparison form of a skill: canonical when known, else its compact spelling."""
    compact = _compact(term)
    return _compact(VOCABULARY.get(compact, term))


def canonical(term: str) -> str:
    """The display name of a known skill, else the term as given (trimmed)."""
    return VOCABULARY.get(_compact(term), term.strip())


def terms(text: str, *, extra: Iterable[str] = ()) -> list[str]:
    """Known skills (and `extra` terms) named in `text`, as display names, in order of first mention."""
    extras = {_compact(term): term.strip() for term in extra if _compact(term)}
    words = [w.rstrip(".") if not w.lower().endswith(".js") else w for w in _TOKEN.findall(text)]
    found: dict[str, str] = {}
    i = 0
    while i < len(words):
        for size in (3, 2, 1):
            if i + size > len(words):
                continue
            phrase = " ".join(words[i : i + size])
            compact = _compact(phrase)
            name = VOCABULARY.get(compact) or extras.get(compact)
            if name is None:
                continue
            # "Go", "Next", "node"... count only when written as a proper noun or in a skills list.
            if size == 1 and compact in _SHORT_AMBIGUOUS and not words[i][:1].isupper():
                continue
            found.setdefault(key(name), canonical(name))
            i += size - 1
            break
        i += 1
    return list(found.values())
