"""Every string the cookie banner shows, in each language keepfaith has it in.

The one place banner text lives: the server fills the banner's ``text`` from here, in
the language chosen for the visitor among the statement's ``languages``. The English
strings are marked with ``N_`` so Babel's extractor finds them for gettext catalogues;
``TRANSLATIONS`` holds the languages shipped so far. ``{organisation}`` is filled in;
``{n}`` is left for the script (a number of cookies or days).
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

from keepfaith.translatable import N_

ENGLISH: dict[str, str] = {
    "title": N_("Cookies on this site"),
    "intro": N_(
        "{organisation} uses cookies that keep the site working, and others only with your consent."
    ),
    "changed": N_("Our cookies have changed since you last chose."),
    "gpcNote": N_(
        "Your browser sends Global Privacy Control: what it refuses stays off and is not offered."
    ),
    "policy": N_("Privacy statement"),
    "acceptAll": N_("Accept all"),
    "rejectAll": N_("Reject all"),
    "preferences": N_("Preferences"),
    "prefsTitle": N_("Cookie preferences"),
    "prefsIntro": N_(
        "Choose the kinds of cookies you accept. Scripts that set optional cookies run only"
        " after you accept their kind."
    ),
    "save": N_("Save my choices"),
    "close": N_("Close"),
    "alwaysOn": N_("Always on"),
    "gpcOff": N_("Off: your browser sends Global Privacy Control"),
    "cookies": N_("Its cookies ({n})"),
    "cookie": N_("Cookie"),
    "setBy": N_("Set by"),
    "lasts": N_("Lasts"),
    "purpose": N_("Purpose"),
    "thisSite": N_("this site"),
    "thirdParty": N_("another site"),
    "session": N_("until you close the browser"),
    "days": N_("{n} days"),
    "persistent": N_("until deleted"),
    "error": N_("Your choice could not be saved, so nothing optional runs. Please choose again."),
    "category.necessary": N_("Strictly necessary"),
    "category.necessary.description": N_(
        "Needed for the site to work; they cannot be switched off."
    ),
    "category.functional": N_("Functional"),
    "category.functional.description": N_(
        "Remember your settings and enable features you ask for."
    ),
    "category.analytics": N_("Analytics"),
    "category.analytics.description": N_("Count visits and measure how the site is used."),
    "category.advertising": N_("Advertising"),
    "category.advertising.description": N_("Select and measure advertising."),
    "category.social_media": N_("Social media"),
    "category.social_media.description": N_(
        "Let you share pages and show content from social networks."
    ),
}

TRANSLATIONS: dict[str, dict[str, str]] = {
    "de": {
        "title": "Cookies auf dieser Website",
        "intro": (
            "{organisation} verwendet Cookies, die die Website funktionieren lassen, und"
            " andere nur mit Ihrer Einwilligung."
        ),
        "changed": "Unsere Cookies haben sich seit Ihrer letzten Wahl geändert.",
        "gpcNote": (
            "Ihr Browser sendet Global Privacy Control: Was er ablehnt, bleibt aus und wird"
            " Ihnen nicht angeboten."
        ),
        "policy": "Datenschutzerklärung",
        "acceptAll": "Alle akzeptieren",
        "rejectAll": "Alle ablehnen",
        "preferences": "Einstellungen",
        "prefsTitle": "Cookie-Einstellungen",
        "prefsIntro": (
            "Wählen Sie die Arten von Cookies, die Sie akzeptieren. Skripte, die optionale"
            " Cookies setzen, laufen erst, nachdem Sie ihre Art akzeptiert haben."
        ),
        "save": "Meine Auswahl speichern",
        "close": "Schließen",
        "alwaysOn": "Immer aktiv",
        "gpcOff": "Aus: Ihr Browser sendet Global Privacy Control",
        "cookies": "Ihre Cookies ({n})",
        "cookie": "Cookie",
        "setBy": "Gesetzt von",
        "lasts": "Dauer",
        "purpose": "Zweck",
        "thisSite": "diese Website",
        "thirdParty": "eine andere Website",
        "session": "bis Sie den Browser schließen",
        "days": "{n} Tage",
        "persistent": "bis zur Löschung",
        "error": (
            "Ihre Wahl konnte nicht gespeichert werden, daher läuft nichts Optionales."
            " Bitte wählen Sie erneut."
        ),
        "category.necessary": "Unbedingt erforderlich",
        "category.necessary.description": (
            "Für den Betrieb der Website nötig; sie können nicht abgeschaltet werden."
        ),
        "category.functional": "Funktional",
        "category.functional.description": (
            "Merken sich Ihre Einstellungen und ermöglichen Funktionen, die Sie anfordern."
        ),
        "category.analytics": "Statistik",
        "category.analytics.description": (
            "Zählen Besuche und messen, wie die Website genutzt wird."
        ),
        "category.advertising": "Werbung",
        "category.advertising.description": "Wählen Werbung aus und messen sie.",
        "category.social_media": "Soziale Medien",
        "category.social_media.description": (
            "Erlauben, Seiten zu teilen und Inhalte aus sozialen Netzwerken anzuzeigen."
        ),
    },
    "fr": {
        "title": "Cookies sur ce site",
        "intro": (
            "{organisation} utilise des cookies nécessaires au fonctionnement du site, et"
            " d'autres seulement avec votre consentement."
        ),
        "changed": "Nos cookies ont changé depuis votre dernier choix.",
        "gpcNote": (
            "Votre navigateur envoie Global Privacy Control : ce qu'il refuse reste désactivé"
            " et ne vous est pas proposé."
        ),
        "policy": "Déclaration de confidentialité",
        "acceptAll": "Tout accepter",
        "rejectAll": "Tout refuser",
        "preferences": "Préférences",
        "prefsTitle": "Préférences de cookies",
        "prefsIntro": (
            "Choisissez les types de cookies que vous acceptez. Les scripts qui déposent des"
            " cookies facultatifs ne s'exécutent qu'après votre accord pour leur type."
        ),
        "save": "Enregistrer mes choix",
        "close": "Fermer",
        "alwaysOn": "Toujours actifs",
        "gpcOff": "Désactivés : votre navigateur envoie Global Privacy Control",
        "cookies": "Ses cookies ({n})",
        "cookie": "Cookie",
        "setBy": "Déposé par",
        "lasts": "Durée",
        "purpose": "Finalité",
        "thisSite": "ce site",
        "thirdParty": "un autre site",
        "session": "jusqu'à la fermeture du navigateur",
        "days": "{n} jours",
        "persistent": "jusqu'à suppression",
        "error": (
            "Votre choix n'a pas pu être enregistré : rien de facultatif ne s'exécute."
            " Veuillez choisir à nouveau."
        ),
        "category.necessary": "Strictement nécessaires",
        "category.necessary.description": (
            "Indispensables au fonctionnement du site ; ils ne peuvent pas être désactivés."
        ),
        "category.functional": "Fonctionnels",
        "category.functional.description": (
            "Mémorisent vos réglages et activent les fonctions que vous demandez."
        ),
        "category.analytics": "Mesure d'audience",
        "category.analytics.description": (
            "Comptent les visites et mesurent l'utilisation du site."
        ),
        "category.advertising": "Publicité",
        "category.advertising.description": "Choisissent et mesurent la publicité.",
        "category.social_media": "Réseaux sociaux",
        "category.social_media.description": (
            "Permettent de partager des pages et d'afficher du contenu des réseaux sociaux."
        ),
    },
}


def languages_with_text() -> tuple[str, ...]:
    """The languages the banner can speak: English and every translation."""
    return ("en", *TRANSLATIONS)


def choose_language(offered: tuple[str, ...], wanted: str | None, accept_language: str) -> str:
    """The banner's language: ``wanted`` (``?lang=``) if the statement offers it, else the
    best match of the browser's ``Accept-Language``, else the statement's first language;
    always one the banner has text for (English when none is)."""
    usable = [tag for tag in offered if _base(tag) in languages_with_text()] or ["en"]
    if wanted and wanted in usable:
        return wanted
    # Accept-Language lists tags most wanted first (q-values in practice follow order).
    for part in accept_language[:500].split(","):
        tag = part.split(";")[0].strip().lower()
        for candidate in usable:
            if tag and (candidate.lower() == tag or _base(candidate) == tag.split("-")[0]):
                return candidate
    return usable[0]


def banner_text(language: str, organisation: str) -> dict[str, str]:
    """Every banner string in ``language`` (English where a string has no translation)."""
    translated = {**ENGLISH, **TRANSLATIONS.get(_base(language), {})}
    return {key: value.replace("{organisation}", organisation) for key, value in translated.items()}


def _base(tag: str) -> str:
    try:
        return Locale.parse(tag, sep="-").language
    except (ValueError, UnknownLocaleError):
        return tag.split("-")[0].lower()
