"""What may be planted together: departments, and a curated table of complementary subcategories.

A planted bundle is either a *family* (variants of one product line: same brand and subcategory,
different adjective or size, like Online Retail's red, green and pink alarm clocks) or a
*complement* from :data:`COMPLEMENTS` (pasta + pasta sauce, tortilla chips + salsa, ...). Some
complements are *seasonal*: planted only in their months, so windowed mining finds them when they
happen. Every theme stays inside one department, so no bundle mixes unrelated departments.
"""

from __future__ import annotations

from dataclasses import dataclass

# Category name -> department (the categories of vocabulary.CATEGORIES).
DEPARTMENTS: dict[str, str] = {
    "Produce": "Grocery",
    "Dairy & Eggs": "Grocery",
    "Bakery": "Grocery",
    "Beverages": "Grocery",
    "Snacks": "Grocery",
    "Pantry": "Grocery",
    "Frozen": "Grocery",
    "Meat & Seafood": "Grocery",
    "Household": "Home Care",
    "Personal Care": "Home Care",
    "Home & Kitchen": "Home & Kitchen",
    "Electronics": "Electronics",
}

ALL_YEAR: tuple[int, ...] = ()
SUMMER: tuple[int, ...] = (6, 7, 8)
HOLIDAY_BAKING: tuple[int, ...] = (11, 12)


@dataclass(frozen=True)
class Complement:
    theme: str
    subcategories: tuple[str, ...]  # one product of each; a pair or a triple
    months: tuple[int, ...] = ALL_YEAR  # 1-12; empty: all year
    same_brand: bool = False  # "of one pattern": all from one brand when the catalog allows

    @property
    def kind(self) -> str:
        return "seasonal" if self.months else "complement"


COMPLEMENTS: tuple[Complement, ...] = (
    Complement("pasta night", ("Spaghetti", "Pasta Sauce", "Parmesan")),
    Complement("pasta and sauce", ("Penne", "Pasta Sauce")),
    Complement("chips and salsa", ("Tortilla Chips", "Salsa")),
    Complement("coffee and filters", ("Ground Coffee", "Coffee Filters")),
    Complement("phone accessories", ("Phone Charger", "Phone Case", "USB-C Cable")),
    Complement("party tableware", ("Paper Cups", "Paper Plates", "Napkins"), same_brand=True),
    Complement("cereal and milk", ("Cereal", "Milk")),
    Complement("peanut butter and jelly", ("Peanut Butter", "Strawberry Jam", "Wheat Bread")),
    Complement("bagels and cream cheese", ("Bagels", "Cream Cheese")),
    Complement("hair care", ("Shampoo", "Conditioner"), same_brand=True),
    Complement("oral care", ("Toothpaste", "Mouthwash"), same_brand=True),
    Complement("laundry", ("Laundry Detergent", "Fabric Softener")),
    Complement("dishes", ("Dish Soap", "Sponges")),
    Complement("salad", ("Lettuce", "Tomatoes", "Cucumbers")),
    Complement("pizza and cola", ("Pizza", "Cola")),
    Complement("knife and board", ("Knife Set", "Cutting Board")),
    Complement("desk setup", ("Mouse", "Keyboard")),
    Complement("barbecue", ("Hot Dogs", "Hot Dog Buns", "Barbecue Sauce"), SUMMER),
    Complement("summer sun care", ("Sunscreen", "Lip Balm"), SUMMER),
    Complement("holiday baking", ("Flour", "Cane Sugar", "Butter"), HOLIDAY_BAKING),
)
