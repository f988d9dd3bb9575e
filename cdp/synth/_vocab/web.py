"""The web shop the web events come from: its catalogue, its pages, and its visitors' browsers."""

from __future__ import annotations

from typing import Final

__all__ = ["PRODUCTS", "REFERRERS", "SHOP_HOST", "USER_AGENTS"]

SHOP_HOST: Final = "shop.example.com"

#: (sku, name, category, brand, price in EUR)
PRODUCTS: Final[tuple[tuple[str, str, str, str, float], ...]] = (
    ("HK-1001", "Merino Hiking Socks", "Apparel", "Alpstar", 19.9),
    ("HK-1002", "Trail Running Shoes", "Footwear", "Alpstar", 139.0),
    ("HK-1003", "Waterproof Shell Jacket", "Apparel", "Alpstar", 249.0),
    ("HK-1004", "Down Vest", "Apparel", "Nordwand", 129.0),
    ("HK-1005", "Softshell Trousers", "Apparel", "Nordwand", 99.0),
    ("HK-1006", "Hiking Boots Mid GTX", "Footwear", "Nordwand", 189.0),
    ("HK-1007", "Trekking Poles Carbon", "Equipment", "Summitline", 89.0),
    ("HK-1008", "Daypack 22 L", "Bags", "Summitline", 79.0),
    ("HK-1009", "Backpack 45+10 L", "Bags", "Summitline", 199.0),
    ("HK-1010", "Insulated Bottle 0.75 L", "Equipment", "Glacier", 34.9),
    ("HK-1011", "Headlamp 400 lm", "Equipment", "Glacier", 49.9),
    ("HK-1012", "Sleeping Bag -5°C", "Camping", "Glacier", 219.0),
    ("HK-1013", "Ultralight Tent 2P", "Camping", "Glacier", 399.0),
    ("HK-1014", "Camping Stove", "Camping", "Glacier", 59.0),
    ("HK-1015", "Fleece Pullover", "Apparel", "Alpstar", 69.0),
    ("HK-1016", "Base Layer Long Sleeve", "Apparel", "Alpstar", 59.0),
    ("HK-1017", "Beanie Wool", "Accessories", "Alpstar", 24.9),
    ("HK-1018", "Gloves Touch", "Accessories", "Nordwand", 29.9),
    ("HK-1019", "Sunglasses Cat. 3", "Accessories", "Summitline", 89.0),
    ("HK-1020", "Ski Goggles", "Winter", "Summitline", 119.0),
    ("HK-1021", "Ski Helmet", "Winter", "Summitline", 149.0),
    ("HK-1022", "Touring Skis 88", "Winter", "Nordwand", 649.0),
    ("HK-1023", "Climbing Skins", "Winter", "Nordwand", 169.0),
    ("HK-1024", "Avalanche Transceiver", "Winter", "Glacier", 329.0),
    ("HK-1025", "Snowshoes", "Winter", "Glacier", 179.0),
    ("HK-1026", "Climbing Harness", "Climbing", "Summitline", 74.9),
    ("HK-1027", "Climbing Shoes", "Climbing", "Summitline", 119.0),
    ("HK-1028", "Chalk Bag", "Climbing", "Summitline", 22.9),
    ("HK-1029", "Dynamic Rope 9.8 mm 60 m", "Climbing", "Summitline", 169.0),
    ("HK-1030", "Rain Cover", "Bags", "Glacier", 19.9),
    ("HK-1031", "First Aid Kit", "Equipment", "Glacier", 29.9),
    ("HK-1032", "Map Case", "Accessories", "Glacier", 14.9),
    ("HK-1033", "Gaiters", "Accessories", "Nordwand", 39.9),
    ("HK-1034", "Merino T-Shirt", "Apparel", "Alpstar", 64.9),
    ("HK-1035", "Hiking Shorts", "Apparel", "Alpstar", 54.9),
    ("HK-1036", "Sandals Trail", "Footwear", "Nordwand", 79.0),
    ("HK-1037", "Approach Shoes", "Footwear", "Summitline", 149.0),
    ("HK-1038", "Kids Hiking Jacket", "Kids", "Alpstar", 79.0),
    ("HK-1039", "Kids Hiking Boots", "Kids", "Nordwand", 89.0),
    ("HK-1040", "Gift Card 50", "Gift Cards", "Alpstar", 50.0),
)

REFERRERS: Final[tuple[str, ...]] = (
    "https://www.google.com/",
    "https://www.google.ch/",
    "https://www.google.de/",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
    "https://www.instagram.com/",
    "https://www.facebook.com/",
    "https://t.co/",
    "https://newsletter.example.com/",
    "",
)

#: kind -> user agents (desktop, mobile, tablet)
USER_AGENTS: Final[dict[str, tuple[str, ...]]] = {
    "desktop": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/141.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.6 Safari/605.1.15",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/141.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:143.0) Gecko/20100101 Firefox/143.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/140.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:142.0) Gecko/20100101 Firefox/142.0",
    ),
    "mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/141.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/140.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
    ),
    "tablet": (
        "Mozilla/5.0 (iPad; CPU OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.6 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/140.0.0.0 Safari/537.36",
    ),
}
