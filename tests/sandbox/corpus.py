"""Text pools for generated records.

Deliberately hostile to naive handling: accents, combining marks, CJK, emoji with skin tones and ZWJ
sequences, right-to-left scripts, quotes, backslashes, HTML fragments, U+2028 and embedded newlines.
"""

FIRST_NAMES = (
    "Ana", "José", "Zoë", "Søren", "Łukasz", "Chloé", "Björn", "Nguyễn", "Ĳsbrand", "Renée", "Siobhán",
    "太郎", "小明", "민준", "さくら", "محمد", "فاطمة", "דוד", "Ηλίας", "Дмитрий", "Ayşe", "Jürgen",
    "O'Brien", "Mary-Kate", "Ziggy 🚀", "Zoë", "Émile", "Ñandú", "Ольга", "Priyā",
)
LAST_NAMES = (
    "Álvarez", "Nørgaard", "Wójcik", "Müller", "Lefèvre", "山田", "王", "김", "佐藤", "الخطيب", "כהן",
    "Παπαδόπουλος", "Иванова", "Yılmaz", "D'Angelo", "van der Berg", "Smith", "Ng", "O\u0308sterberg",
    "Nakamura-Lee", "Sánchez", "Ødegård",
)
COMPANY_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Nordisk", "Café Lumière", "株式会社さくら", "Straße & Söhne",
    "Hooli", "مؤسسة النور", "Vandelay", "Ωmega", "Pied Piper", "Soylent", "Zürich Rück", "Tyrell",
)
COMPANY_SUFFIXES = ("Inc.", "GmbH", "Ltd", "S.A.", "KK", "LLC", "AB", "", "Co. 🏢")
DOMAINS = ("example.com", "example.org", "mail.example.net", "xn--bcher-kva.example", "corp.example.co.uk")
WORDS = (
    "order", "refund", "shipping", "delayed", "package", "invoice", "subscription", "password", "account",
    "réclamation", "Lieferung", "配送", "返金", "배송", "الطلب", "משלוח", "доставка", "teşekkürler",
    "please", "thanks", "urgent", "help", "broken", "charged twice", "tracking", "ASAP", "again", "why",
    "😡", "🙏", "👍🏽", "📦", "👨‍👩‍👧", "🇯🇵", "✅", "…", "\"quoted\"", "back\\slash", "<b>bold</b>",
    "&amp;", "C:\\Users\\me", "naïve", "façade", "e\u0301", "line\u2028sep", "tab\there",
)
CHANNELS = ("email", "chat", "sms", "voice", "facebook", "twitter-dm", "instagram", "whatsapp", "form")
TAG_NAMES = (
    "billing", "refund", "vip", "bug", "feature-request", "churn-risk", "shipping", "返品", "urgent 🔥",
    "escalated", "spam", "feedback", "onboarding", "ÜberWichtig", "عاجل", "kyc", "warranty", "b2b",
)
COLORS = ("#FF5733", "#1e90ff", "#2ecc71", "#9b59b6", "#f1c40f", "#000000", "#ffffff", None)
LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "ja_JP", "ar_SA", "he_IL", "pt_BR", "es_ES", None)
TIME_ZONES = ("America/New_York", "Europe/Paris", "Asia/Tokyo", "Asia/Jerusalem", "UTC", None)
CITIES = (
    ("United States", "New York", "NY", "10001"), ("France", "Paris", "Île-de-France", "75002"),
    ("Japan", "東京", "東京都", "100-0001"), ("Israel", "תל אביב", "Tel Aviv", None),
    ("Brazil", "São Paulo", "SP", "01000-000"), ("Germany", "München", "Bayern", "80331"),
)
# Klasses that have records, in creation order; klasses.py declares each one's attributes.
KLASSES = ("order", "ecomm-order", "subscription", "loop-returns", "flight-booking", "ShopifyOrder")
