import DiscoveryCodec

/// Machine titles and venues, combined into names as operators set them. Several
/// carry multi-byte characters; with the firmware's 32-character, then 32-byte cut
/// (`firmwareName`) a few end in the middle of a character, as real boards' do.
enum BoardNames {
    static let titles = [
        "Medieval Madness", "Attack from Mars", "The Addams Family", "Twilight Zone",
        "Monster Bash", "Theatre of Magic", "Cirqus Voltaire", "Scared Stiff",
        "Indiana Jones", "Star Trek: The Next Generation", "FunHouse", "Black Knight 2000",
        "Elvira and the Party Monsters", "Godzilla Premium", "Jurassic Park", "Foo Fighters",
        "Deadpool", "Iron Maiden: Legacy of the Beast", "Stranger Things", "The Mandalorian",
        "Rush LE", "Metallica Remastered", "Ghostbusters", "Game of Thrones",
        "Pokémon Pinball", "TRON: Legacy", "AC/DC Premium", "Jaws", "James Bond 007",
        "Avengers: Infinity Quest", "Guardians of the Galaxy", "Cactus Canyon", "Safe Cracker",
        "Junk Yard", "White Water", "Fish Tales", "Creature from the Black Lagoon",
        "Bram Stoker's Dracula", "Road Show", "Whirlwind", "High Speed", "Pin·Bot",
        "Space Shuttle", "Xenon", "Eight Ball Deluxe", "Fathom", "Firepower", "Flash Gordon",
        "Paragon", "Centaur", "Gorgar", "Flipper Zone Ω", "ピンボール魔王", "🎱 Eight Ball",
        "Señor Pinball", "Der Flipperkönig",
    ]
    static let venues = [
        " - Arcade Bar", " (Back Room)", " #2", " – Lane 3", " @ Flipperhalle Köln",
        " - Pinball Café", " [Tournament]", " Left", " Right", " - Basement", " @ Bar Ω",
        " ★ Staff Pick", " - Arcade Bar Downtown", " (Back Room, Table 2)", " @ The Silverball Lounge",
        " – Upstairs Lane 4", "",
    ]

    /// Names whose 32-byte cut ends inside a character (as the firmware sends them).
    static let cutMidCharacter = [
        "James Bond 007 @ Flipperhalle Köln", "The Addams Family - Pinball Café",
        "Señor Pinball @ Flipperhalle Köln", "Black Knight 2000 - Pinball Café",
    ]

    static func make(_ rng: inout SplitMix64) -> Name {
        var text = rng.pick(titles)
        // Most operators add a venue or a number, which makes most names long.
        if rng.chance(0.95) { text += rng.pick(venues) }
        if rng.chance(0.5) { text += " #\(rng.inRange(1...99))" }
        return firmwareName(text)
    }
}
