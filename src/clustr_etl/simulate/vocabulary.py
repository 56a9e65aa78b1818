"""Word lists for product and customer names (no commas or quotes: CSV values never need quoting)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CategorySpec:
    """A product category: how many products it has, their typical price and how often they sell."""

    name: str
    share: float  # share of the catalog
    median_price: float  # dollars, before size and brand tier
    price_sigma: float  # log-normal spread of prices
    traffic: float  # relative popularity of the category's products
    single_quantity: float  # probability that a line has quantity 1
    brands: tuple[str, ...]
    adjectives: tuple[str, ...]
    nouns: tuple[str, ...]
    sizes: tuple[tuple[str, float], ...]  # (label, price multiplier)

    @property
    def capacity(self) -> int:
        return len(self.brands) * len(self.adjectives) * len(self.nouns) * len(self.sizes)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


_FOOD_BRANDS_A = _words(
    "Green Acre|Sunny Valley|Orchard Lane|Harvest Moon|Farmhouse|Riverbend|Meadow Fresh|Blue Ridge"
)
_FOOD_BRANDS_B = _words(
    "Dairy Glen|Cloverfield|Happy Cow|Alpine Meadow|Brookside|Silver Spoon|Maple Hill|Northstar"
)
_PACKAGED_BRANDS = _words(
    "Golden Crest|Pantry Pride|Crunchwell|Old Mill|Kettle & Co|Urban Harvest|Good Table|Red Barn"
)
_HOME_BRANDS = _words(
    "Homestead|CleanPeak|Everbright|Nordvik|Casa Bella|Ironwood|Pureline|Brightside"
)
_TECH_BRANDS = _words("Voltix|Nexon|Aurora Tech|Pixelcraft|Soundwave|Zenlink|Kinetic|Lumina")
_WEIGHT_SIZES = (("8 oz", 0.7), ("16 oz", 1.0), ("32 oz", 1.7), ("Family Size", 2.4))
_COUNT_SIZES = (("Single", 0.6), ("4 Pack", 1.0), ("12 Pack", 2.3), ("24 Pack", 3.8))
_MODEL_SIZES = (("Mini", 0.7), ("Standard", 1.0), ("Plus", 1.45), ("Pro", 2.4))

CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "Produce",
        0.09,
        2.4,
        0.45,
        2.2,
        0.62,
        _FOOD_BRANDS_A,
        _words("Organic|Fresh|Local|Heirloom|Ripe|Baby|Sweet|Premium|Farm|Seasonal"),
        _words(
            "Apples|Bananas|Avocados|Tomatoes|Carrots|Potatoes|Onions|Lettuce|Spinach|"
            "Strawberries|Blueberries|Grapes|Lemons|Bell Peppers|Cucumbers|Broccoli|"
            "Mushrooms|Oranges"
        ),
        (("1 lb", 1.0), ("2 lb", 1.7), ("3 lb Bag", 2.3), ("Value Pack", 3.0)),
    ),
    CategorySpec(
        "Dairy & Eggs",
        0.08,
        3.6,
        0.4,
        2.0,
        0.7,
        _FOOD_BRANDS_B,
        _words(
            "Organic|Grass-Fed|Low-Fat|Classic|Farm Fresh|Whole|Premium|Local|Light|Family Farm"
        ),
        _words(
            "Milk|Greek Yogurt|Cheddar|Mozzarella|Butter|Eggs|Cream Cheese|Sour Cream|"
            "Cottage Cheese|Heavy Cream|Oat Milk|Almond Milk|Swiss Cheese|Parmesan"
        ),
        _WEIGHT_SIZES,
    ),
    CategorySpec(
        "Bakery",
        0.07,
        3.9,
        0.4,
        1.6,
        0.75,
        _PACKAGED_BRANDS,
        _words(
            "Artisan|Whole Grain|Classic|Gluten-Free|Butter|Seeded|Rustic|Honey|Multigrain|Soft"
        ),
        _words(
            "Sourdough|Bagels|Croissants|Baguette|Muffins|Wheat Bread|Rye Bread|Dinner Rolls|"
            "Cinnamon Rolls|Tortillas|Pita|Brioche|Donuts|Pound Cake|English Muffins|Hot Dog Buns"
        ),
        _COUNT_SIZES,
    ),
    CategorySpec(
        "Beverages",
        0.1,
        4.2,
        0.55,
        1.5,
        0.6,
        _PACKAGED_BRANDS,
        _words(
            "Sparkling|Classic|Diet|Organic|Cold-Pressed|Zero Sugar|Tropical|Original|"
            "Lightly Sweetened|Premium"
        ),
        _words(
            "Orange Juice|Apple Juice|Mineral Water|Cola|Lemonade|Iced Tea|Cold Brew|"
            "Ground Coffee|Green Tea|Energy Drink|Coconut Water|Ginger Ale|Spring Water|"
            "Kombucha|Sports Drink|Coffee Filters"
        ),
        _COUNT_SIZES,
    ),
    CategorySpec(
        "Snacks",
        0.12,
        3.3,
        0.45,
        1.3,
        0.66,
        _PACKAGED_BRANDS,
        _words(
            "Sea Salt|Spicy|Honey Roasted|Cheesy|Classic|Barbecue|Lightly Salted|Chocolate|"
            "Crunchy|Sweet & Salty"
        ),
        _words(
            "Potato Chips|Tortilla Chips|Pretzels|Popcorn|Trail Mix|Granola Bars|Cookies|"
            "Crackers|Dark Chocolate|Gummy Bears|Almonds|Cashews|Rice Cakes|Beef Jerky|Salsa"
        ),
        _WEIGHT_SIZES,
    ),
    CategorySpec(
        "Pantry",
        0.13,
        3.8,
        0.55,
        1.2,
        0.72,
        _PACKAGED_BRANDS,
        _words(
            "Organic|Classic|Premium|Signature|Italian|Homestyle|Value|Natural|Gourmet|Everyday"
        ),
        _words(
            "Spaghetti|Penne|Pasta Sauce|Basmati Rice|Olive Oil|Peanut Butter|Strawberry Jam|"
            "Honey|Cereal|Oatmeal|Canned Tomatoes|Black Beans|Chicken Broth|Flour|Cane Sugar|"
            "Maple Syrup|Barbecue Sauce"
        ),
        _WEIGHT_SIZES,
    ),
    CategorySpec(
        "Frozen",
        0.08,
        5.2,
        0.45,
        1.0,
        0.7,
        _FOOD_BRANDS_A,
        _words("Classic|Family|Organic|Supreme|Vegan|Crispy|Homestyle|Deluxe|Lite|Signature"),
        _words(
            "Pizza|Ice Cream|Green Peas|Fish Sticks|Mixed Berries|Waffles|Burritos|Dumplings|"
            "Veggie Burgers|Chicken Nuggets|French Fries|Sorbet|Lasagna|Mixed Vegetables"
        ),
        _WEIGHT_SIZES,
    ),
    CategorySpec(
        "Meat & Seafood",
        0.07,
        8.5,
        0.5,
        1.1,
        0.8,
        _FOOD_BRANDS_B,
        _words(
            "Organic|Grass-Fed|Wild-Caught|Free-Range|Smoked|Lean|Marinated|Premium|Boneless|"
            "Thick-Cut"
        ),
        _words(
            "Chicken Breast|Ground Beef|Bacon|Pork Chops|Salmon Fillet|Shrimp|Turkey Slices|"
            "Ham|Italian Sausage|Ribeye Steak|Chicken Thighs|Tilapia|Hot Dogs|Lamb Chops"
        ),
        (("1 lb", 1.0), ("2 lb", 1.8), ("Family Pack", 2.6), ("Bulk Pack", 3.6)),
    ),
    CategorySpec(
        "Household",
        0.09,
        6.5,
        0.55,
        0.8,
        0.78,
        _HOME_BRANDS,
        _words(
            "Ultra|Eco|Lavender|Unscented|Heavy-Duty|Fresh Scent|Sensitive|Original|Citrus|Compact"
        ),
        _words(
            "Paper Towels|Toilet Paper|Dish Soap|Laundry Detergent|Trash Bags|Sponges|"
            "Surface Cleaner|Aluminum Foil|Light Bulbs|Batteries|Storage Bags|Glass Cleaner|"
            "Fabric Softener|Paper Cups|Paper Plates|Napkins"
        ),
        _COUNT_SIZES,
    ),
    CategorySpec(
        "Personal Care",
        0.08,
        6.0,
        0.5,
        0.7,
        0.85,
        _HOME_BRANDS,
        _words(
            "Moisturizing|Sensitive|Fresh|Herbal|Charcoal|Coconut|Clinical|Everyday|Travel|"
            "Botanical"
        ),
        _words(
            "Shampoo|Conditioner|Toothpaste|Body Wash|Deodorant|Hand Soap|Lotion|Razors|"
            "Sunscreen|Lip Balm|Face Wash|Mouthwash|Cotton Swabs"
        ),
        _WEIGHT_SIZES,
    ),
    CategorySpec(
        "Home & Kitchen",
        0.05,
        24.0,
        0.75,
        0.3,
        0.95,
        _HOME_BRANDS,
        _words(
            "Stainless|Nonstick|Ceramic|Bamboo|Classic|Modern|Vintage|Cast Iron|Glass|Essential"
        ),
        _words(
            "Coffee Maker|Blender|Frying Pan|Knife Set|Cutting Board|Toaster|Mixing Bowls|"
            "Dinnerware Set|Bath Towels|Bed Sheets|Table Lamp|Storage Bins|Kettle"
        ),
        _MODEL_SIZES,
    ),
    CategorySpec(
        "Electronics",
        0.04,
        28.0,
        0.85,
        0.25,
        0.97,
        _TECH_BRANDS,
        _words(
            "Wireless|Smart|Portable|Compact|Ultra|Rugged|Slim|Fast-Charge|Noise-Cancelling|Classic"
        ),
        _words(
            "Headphones|Phone Charger|Speaker|USB-C Cable|Power Bank|Wi-Fi Plug|Mouse|"
            "Keyboard|HDMI Cable|Webcam|Smartwatch|Tablet Case|Earbuds|Phone Case"
        ),
        _MODEL_SIZES,
    ),
)

FIRST_NAMES = _words(
    "James|Mary|Robert|Patricia|John|Jennifer|Michael|Linda|David|Elizabeth|William|"
    "Barbara|Richard|Susan|Joseph|Jessica|Thomas|Sarah|Christopher|Karen|Charles|"
    "Lisa|Daniel|Nancy|Matthew|Betty|Anthony|Sandra|Mark|Margaret|Donald|Ashley|"
    "Steven|Kimberly|Andrew|Emily|Paul|Donna|Joshua|Michelle|Kenneth|Carol|Kevin|"
    "Amanda|Brian|Melissa|George|Deborah|Timothy|Stephanie|Ronald|Rebecca|Jason|"
    "Laura|Edward|Sharon|Jeffrey|Cynthia|Ryan|Kathleen|Jacob|Amy|Gary|Angela|"
    "Nicholas|Shirley|Eric|Anna|Jonathan|Brenda|Stephen|Pamela|Larry|Emma|Justin|"
    "Nicole|Scott|Helen|Brandon|Samantha|Benjamin|Katherine|Samuel|Christine|Gregory|"
    "Debra|Alexander|Rachel|Patrick|Carolyn|Frank|Janet|Raymond|Maria|Jack|Olivia|"
    "Dennis|Heather|Jerry|Diane|José|Zoë|Chloé|Renée|Björn|Léa|Mateo|Sofía|Aiko|Wei|"
    "Priya|Arjun|Fatima|Omar|Noah|Liam|Ava|Mia|Ethan|Isabella|Lucas|Amelia|Hiroshi|"
    "Ngozi|Kwame|Ana|Diego|Camila|Yusuf|Leila|Ivan|Olga"
)
LAST_NAMES = _words(
    "Smith|Johnson|Williams|Brown|Jones|Garcia|Miller|Davis|Rodriguez|Martinez|"
    "Hernandez|Lopez|Gonzalez|Wilson|Anderson|Thomas|Taylor|Moore|Jackson|Martin|Lee|"
    "Perez|Thompson|White|Harris|Sanchez|Clark|Ramirez|Lewis|Robinson|Walker|Young|"
    "Allen|King|Wright|Scott|Torres|Nguyen|Hill|Flores|Green|Adams|Nelson|Baker|Hall|"
    "Rivera|Campbell|Mitchell|Carter|Roberts|Gomez|Phillips|Evans|Turner|Diaz|Parker|"
    "Cruz|Edwards|Collins|Reyes|Stewart|Morris|Morales|Murphy|Cook|Rogers|Gutierrez|"
    "Ortiz|Morgan|Cooper|Peterson|Bailey|Reed|Kelly|Howard|Ramos|Kim|Cox|Ward|"
    "Richardson|Watson|Brooks|Chavez|Wood|James|Bennett|Gray|Mendoza|Ruiz|Hughes|"
    "Price|Alvarez|Castillo|Sanders|Patel|Myers|Long|Ross|Foster|Jiménez|O'Brien|"
    "Müller|Søndergaard|Nakamura|Chen|Wang|Singh|Okafor|Kowalski|Novák|Dubois|Rossi|"
    "Schmidt|Ivanova|Haddad|Yilmaz|Tanaka|Silva|Costa"
)

# (city, relative population) - larger cities have more customers.
CITIES: tuple[tuple[str, float], ...] = tuple(
    (name, float(population))
    for name, population in (
        pair.split(":")
        for pair in _words(
            "New York:8.3|Los Angeles:3.9|Chicago:2.7|Houston:2.3|Phoenix:1.6|"
            "Philadelphia:1.6|San Antonio:1.5|San Diego:1.4|Dallas:1.3|Austin:0.97|"
            "Jacksonville:0.95|San Jose:0.97|Fort Worth:0.93|Columbus:0.9|Charlotte:0.88|"
            "Indianapolis:0.88|San Francisco:0.81|Seattle:0.75|Denver:0.71|Washington:0.68|"
            "Nashville:0.68|Oklahoma City:0.69|Boston:0.65|El Paso:0.68|Portland:0.63|"
            "Las Vegas:0.65|Detroit:0.62|Memphis:0.62|Louisville:0.62|Baltimore:0.57|"
            "Milwaukee:0.56|Albuquerque:0.56|Tucson:0.54|Fresno:0.54|Sacramento:0.52|"
            "Atlanta:0.5|Kansas City:0.51|Miami:0.44|Raleigh:0.47|Omaha:0.48|"
            "Minneapolis:0.42|Cleveland:0.37|Tampa:0.39|New Orleans:0.37|Pittsburgh:0.3|"
            "Cincinnati:0.31|St. Louis:0.29|Salt Lake City:0.2|Boise:0.23|Burlington:0.05|"
            "Santa Fe:0.09|Ann Arbor:0.12|Madison:0.27"
        )
    )
)

EMAIL_DOMAINS = _words("example.com|example.net|example.org|mail.example.com|inbox.example.net")
