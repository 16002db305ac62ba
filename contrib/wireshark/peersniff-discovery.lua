-- peersniff-discovery.lua: a Wireshark dissector for the pinball boards' discovery
-- protocol (IPv4 UDP, port 37020), held to peersniff's codec byte for byte.
--
-- It reads a datagram exactly as Sources/DiscoveryCodec does: the same frames, the
-- same names (bytes that are not UTF-8 shown as U+FFFD, one per maximal invalid
-- subpart), the same malformation reasons and warnings of CONTRACT.md under the same
-- names, at the same byte offsets, with the same sentences; and the Info column says
-- what peersniff's text line says after its addresses. Tests/PeersniffTests/
-- WiresharkDissectorTests.swift compares the two on every capture of Fixtures/ and on
-- hundreds of mutated datagrams.
--
-- Load it for one run:    tshark -X lua_script:contrib/wireshark/peersniff-discovery.lua -r CAPTURE
--                         wireshark -X lua_script:contrib/wireshark/peersniff-discovery.lua CAPTURE
-- Install it for good:    scripts/install.sh --wireshark
--                         (into ~/.local/lib/wireshark/plugins/, Wireshark's personal Lua plugins)
--
-- Filters:  discovery.type == "FULL" && discovery.peer.ip == 10.37.0.20
--           discovery.offline.ip == 10.37.0.40      discovery.malformed == "truncated-peer"
--           discovery.warning == "full-not-sorted"  discovery.legacy.name contains "Madness"
--
-- Preferences (Edit > Preferences > Protocols > DISCOVERY, or -o discovery.port:37021):
--   discovery.port               the discovery port (peersniff --port), default 37020
--   discovery.verify_checksums   check UDP checksums as peersniff does (--no-verify-checksums)
--   discovery.heuristic          also claim datagrams on other ports that decode cleanly
--
-- Packet-level reasons, decided here as peersniff decides them:
--   not-ipv4             UDP over IPv6 on the port: reported, not decoded
--   truncated-capture    the snap length cut the payload: reported at the first byte
--                        not captured, not decoded, beside Wireshark's own "[Packet
--                        size limited during capture]". A cut inside the UDP header
--                        (or right after it) and an empty payload reach no UDP
--                        subdissector: a postdissector reports them (and `empty`)
--   bad-udp-checksum     a non-zero checksum that does not match, unless it is the
--                        offloaded pattern (the folded pseudo-header sum): not decoded
--   incomplete-fragments Wireshark's own reassembly: fragments that never complete
--                        show as "Fragmented IP protocol" without "Reassembled in";
--                        no discovery datagram exists to put the reason on
--   fragmented           a warning on a datagram Wireshark reassembled (ip.defragment)

-- Loaded twice (installed in the plugin folder, and given with -X lua_script:), the
-- second copy would die on "there cannot be two protocols with the same name": it says
-- which copy is in use instead, and stops.
local this_copy = debug.getinfo(1, "S").source:gsub("^@", "")
if rawget(_G, "peersniff_discovery_loaded") then
    report_failure("peersniff-discovery.lua: already loaded from " .. _G.peersniff_discovery_loaded
        .. "; this copy (" .. this_copy .. ") is not used. Load one copy: the installed one, or -X lua_script:.")
    return
end
rawset(_G, "peersniff_discovery_loaded", this_copy)

local discovery = Proto("discovery", "Pinball Board Discovery (peersniff)")

local DEFAULT_PORT = 37020
-- The firmware's limits (FirmwareLimits in Sources/DiscoveryCodec/FrameType.swift).
local MAX_NAME_BYTES = 32
local MAX_PEERS = 51
local RECEIVE_BUFFER = 1024
-- The codec refuses JSON nested deeper than this (JSONParser.maxDepth).
local JSON_MAX_DEPTH = 64

local byte, char, sub, find, format, concat = string.byte, string.char, string.sub, string.find, string.format, table.concat
local floor = math.floor
-- Integer arithmetic only (no bit32, which Lua 5.3 and later lack; no float that
-- would print as "16.0" there): x // 2^k as floor(x / 2^k), x & (2^k - 1) as x % 2^k.

-- ---------------------------------------------------------------------------
-- Fields

local F = {
    type = ProtoField.string("discovery.type", "Type",
        "The frame's type: HELLO, FULL, PING, PONG, OFFLINE or LEGACY (decoded frames only)"),
    type_byte = ProtoField.uint8("discovery.type_byte", "Type byte", base.HEX, nil, nil,
        "The payload's first byte, also on malformed datagrams"),
    length = ProtoField.uint32("discovery.length", "Payload length", base.DEC),
    name_length = ProtoField.uint8("discovery.name_length", "Name length", base.DEC),
    name = ProtoField.string("discovery.name", "Name", "HELLO: the device's name"),
    peer_count = ProtoField.uint8("discovery.peer_count", "Peer count", base.DEC, nil, nil,
        "FULL: the number of entries (the count byte)"),
    peer = ProtoField.none("discovery.peer", "Peer", "FULL: one entry (address, name length, name)"),
    peer_index = ProtoField.uint8("discovery.peer.index", "Entry", base.DEC, nil, nil, "The entry's place, from 1"),
    peer_ip = ProtoField.ipv4("discovery.peer.ip", "IP"),
    peer_name_length = ProtoField.uint8("discovery.peer.name_length", "Name length", base.DEC),
    peer_name = ProtoField.string("discovery.peer.name", "Name"),
    offline_ip = ProtoField.ipv4("discovery.offline.ip", "Declared offline", "OFFLINE: the device declared gone"),
    legacy_json = ProtoField.string("discovery.legacy.json", "JSON",
        "LEGACY: the object as compact JSON (members in order, numbers as sent), as peersniff writes it"),
    legacy_member = ProtoField.none("discovery.legacy.member", "Member", "LEGACY: one member of the object"),
    legacy_key = ProtoField.string("discovery.legacy.key", "Key"),
    legacy_value = ProtoField.string("discovery.legacy.value", "Value", "The member's value as compact JSON"),
    legacy_name = ProtoField.string("discovery.legacy.name", "Name", "LEGACY: the first \"name\" member, if a string"),
    legacy_version = ProtoField.string("discovery.legacy.version", "Version",
        "LEGACY: the first \"version\" member, if a string"),
    legacy_discover = ProtoField.string("discovery.legacy.discover", "Discover",
        "LEGACY: the first \"discover\" member, as JSON (the old desktop tester's {\"discover\": true})"),
    malformed = ProtoField.string("discovery.malformed", "Malformed",
        "Why the payload is not a frame: a reason of peersniff's CONTRACT.md"),
    malformed_offset = ProtoField.uint32("discovery.malformed.offset", "Offset", base.DEC, nil, nil,
        "Where the element that could not be read begins (for trailing-bytes: the first extra byte)"),
    malformed_detail = ProtoField.string("discovery.malformed.detail", "Detail"),
    warning = ProtoField.string("discovery.warning", "Warning",
        "What is wrong with a frame that still decodes: a warning of peersniff's CONTRACT.md"),
    warning_offset = ProtoField.uint32("discovery.warning.offset", "Offset", base.DEC, nil, nil,
        "Where the element behind the warning begins"),
}
discovery.fields = {
    F.type, F.type_byte, F.length, F.name_length, F.name, F.peer_count, F.peer, F.peer_index, F.peer_ip,
    F.peer_name_length, F.peer_name, F.offline_ip, F.legacy_json, F.legacy_member, F.legacy_key, F.legacy_value,
    F.legacy_name, F.legacy_version, F.legacy_discover, F.malformed, F.malformed_offset, F.malformed_detail,
    F.warning, F.warning_offset,
}

-- ---------------------------------------------------------------------------
-- Expert info: one per reason and warning of CONTRACT.md, under its own name.

local REASONS = {
    "empty", "unknown-type", "truncated-header", "truncated-name", "truncated-peer", "trailing-bytes", "bad-json",
    "truncated-capture", "bad-udp-checksum", "incomplete-fragments", "not-ipv4",
}
local REASON_SUMMARY = {
    ["empty"] = "zero-length payload",
    ["unknown-type"] = "first byte is not 1 to 5 and not '{'",
    ["truncated-header"] = "HELLO or FULL shorter than 2 bytes; OFFLINE shorter than 5",
    ["truncated-name"] = "HELLO whose length byte runs past the payload",
    ["truncated-peer"] = "FULL with fewer bytes than its count of entries needs",
    ["trailing-bytes"] = "bytes left after a complete frame",
    ["bad-json"] = "starts with '{' but is not a JSON object",
    ["truncated-capture"] = "the capture's snap length cut the payload",
    ["bad-udp-checksum"] = "a non-zero UDP checksum that does not match",
    ["incomplete-fragments"] = "IP fragments that never completed",
    ["not-ipv4"] = "UDP over IPv6 on the discovery port",
}
-- In FrameWarnings.all's order: the order peersniff lists them in.
local WARNINGS = {
    "name-not-utf8", "name-cut-mid-character", "name-too-long", "too-many-peers", "full-sender-not-first",
    "full-not-sorted", "full-duplicate-ip", "exceeds-receive-buffer", "fragmented",
}
-- FrameWarnings.explanation(of:).
local EXPLANATION = {
    ["name-not-utf8"] = "a name holds bytes that are not UTF-8 (shown as U+FFFD)",
    ["name-cut-mid-character"] = "a name ends inside a multi-byte character, as the firmware's 32-byte cut leaves it",
    ["name-too-long"] = "a name is longer than the firmware's 32 bytes",
    ["too-many-peers"] = "the FULL lists more than the firmware's 51 entries",
    ["full-sender-not-first"] = "the FULL does not list its sender first, as the firmware does",
    ["full-not-sorted"] = "the FULL's entries after the first are not sorted by IP, as the firmware sorts them",
    ["full-duplicate-ip"] = "the FULL lists one IP more than once",
    ["exceeds-receive-buffer"] = "the payload is longer than the boards' 1024-byte receive buffer: every board reads it cut",
    ["fragmented"] = "the datagram arrived as IP fragments",
}

local E = {}
local experts = {}
for _, reason in ipairs(REASONS) do
    E[reason] = ProtoExpert.new("discovery.malformed." .. reason, "Malformed: " .. reason .. " (" .. REASON_SUMMARY[reason] .. ")",
        expert.group.MALFORMED, expert.severity.ERROR)
    experts[#experts + 1] = E[reason]
end
for _, code in ipairs(WARNINGS) do
    local group = code == "fragmented" and expert.group.REASSEMBLE or expert.group.PROTOCOL
    E[code] = ProtoExpert.new("discovery.warning." .. code, "Warning: " .. code .. " (" .. EXPLANATION[code] .. ")",
        group, expert.severity.WARN)
    experts[#experts + 1] = E[code]
end
discovery.experts = experts

-- ---------------------------------------------------------------------------
-- Preferences

discovery.prefs.port = Pref.uint("Discovery port", DEFAULT_PORT, "The UDP port of the discovery protocol (peersniff --port)")
discovery.prefs.verify_checksums = Pref.bool("Verify UDP checksums", true,
    "Report a datagram whose UDP checksum does not match as bad-udp-checksum, not decoded, as peersniff does "
    .. "(off: peersniff --no-verify-checksums)")
discovery.prefs.heuristic = Pref.bool("Recognise frames on other ports", true,
    "Claim a UDP datagram on another port when it decodes as a clean HELLO, FULL, OFFLINE or legacy announcement")

-- ---------------------------------------------------------------------------
-- Bytes, addresses, UTF-8 (Sources/WireBytes/UTF8.swift, Sources/DiscoveryCodec/UTF8Check.swift)

local function hex2(b) return format("%02x", b) end
local function hex16(v) return format("%04x", v) end

-- An IPv4 address read at 0-based `at` of `s`: its value and its dotted text.
local function ipv4_at(s, at)
    local a, b, c, d = byte(s, at + 1, at + 4)
    return ((a * 256 + b) * 256 + c) * 256 + d, a .. "." .. b .. "." .. c .. "." .. d
end

-- RFC 3629's lead bytes: the sequence's width and the range of its second byte.
local function utf8_lead(b)
    if b >= 0xC2 and b <= 0xDF then return 2, 0x80, 0xBF end
    if b == 0xE0 then return 3, 0xA0, 0xBF end
    if (b >= 0xE1 and b <= 0xEC) or b == 0xEE or b == 0xEF then return 3, 0x80, 0xBF end
    if b == 0xED then return 3, 0x80, 0x9F end
    if b == 0xF0 then return 4, 0x90, 0xBF end
    if b >= 0xF1 and b <= 0xF3 then return 4, 0x80, 0xBF end
    if b == 0xF4 then return 4, 0x80, 0x8F end
    return nil
end

-- How many bytes from the lead at 1-based `i` (up to `last`) start its sequence well.
local function utf8_well_formed_prefix(s, i, last, width, lower, upper)
    local length = 1
    while length < width and i + length <= last do
        local b = byte(s, i + length)
        local ok
        if length == 1 then ok = b >= lower and b <= upper else ok = b >= 0x80 and b <= 0xBF end
        if not ok then break end
        length = length + 1
    end
    return length
end

-- checkUTF8 over a name's bytes: "valid", "cut" (an incomplete but so far correct
-- sequence at the very end) or "invalid".
local function check_utf8(s)
    -- Names are mostly ASCII: the first byte with its top bit set, if any, found in C.
    local i = find(s, "[\128-\255]")
    if not i then return "valid" end
    local last = #s
    while i <= last do
        local b = byte(s, i)
        if b < 0x80 then
            i = i + 1
        else
            local width, lower, upper = utf8_lead(b)
            if not width then return "invalid" end
            local good = utf8_well_formed_prefix(s, i, last, width, lower, upper)
            if good < width then
                if i + good == last + 1 then return "cut" end
                return "invalid"
            end
            i = i + width
        end
    end
    return "valid"
end

-- nameWarnings: the warnings a name earns, as a set (NO_WARNINGS for a clean name,
-- which is most of them).
local NO_WARNINGS = {}
local function name_warnings(name)
    local verdict = check_utf8(name)
    local long = #name > MAX_NAME_BYTES
    if verdict == "valid" and not long then return NO_WARNINGS end
    local w = {}
    if long then w["name-too-long"] = true end
    if verdict == "cut" then w["name-cut-mid-character"] = true
    elseif verdict == "invalid" then w["name-not-utf8"] = true end
    return w
end

local REPLACEMENT = "\239\191\189" -- U+FFFD

-- String(decoding:as: UTF8.self): valid sequences kept, each maximal invalid subpart one U+FFFD.
local function utf8_text(s)
    local i = find(s, "[\128-\255]")
    if not i then return s end
    local first, last = 1, #s
    local run, out = first, nil
    while i <= last do
        local b = byte(s, i)
        if b < 0x80 then
            i = i + 1
        else
            local width, lower, upper = utf8_lead(b)
            local good = width and utf8_well_formed_prefix(s, i, last, width, lower, upper) or 0
            if width and good == width then
                i = i + width
            else
                out = out or {}
                out[#out + 1] = sub(s, run, i - 1)
                out[#out + 1] = REPLACEMENT
                i = i + (width and good or 1)
                run = i
            end
        end
    end
    if not out then return sub(s, first, last) end
    out[#out + 1] = sub(s, run, last)
    return concat(out)
end

-- The scalar of a well-formed sequence at 1-based `i` of `width` bytes: the lead byte
-- keeps 5, 4 or 3 bits (modulo 32, 16, 8), each continuation byte 6.
local LEAD_BITS = { [2] = 32, [3] = 16, [4] = 8 }
local function scalar_at(s, i, width)
    local b = byte(s, i)
    local value = b % LEAD_BITS[width]
    for k = 1, width - 1 do value = value * 64 + byte(s, i + k) % 64 end
    return value
end

-- A scalar's UTF-8 bytes.
local function utf8_char(c)
    if c < 0x80 then return char(c) end
    if c < 0x800 then return char(0xC0 + floor(c / 64), 0x80 + c % 64) end
    if c < 0x10000 then return char(0xE0 + floor(c / 4096), 0x80 + floor(c / 64) % 64, 0x80 + c % 64) end
    return char(0xF0 + floor(c / 262144), 0x80 + floor(c / 4096) % 64, 0x80 + floor(c / 64) % 64, 0x80 + c % 64)
end

-- ---------------------------------------------------------------------------
-- Terminal-safe text, as peersniff's text line shows names and sentences
-- (appendTerminalSafe in Sources/Output/Escaping.swift).

-- The characters of categories Cc, Cf, Zl and Zp from U+0600 on, as Swift 6's
-- standard library classifies them (Unicode 15): ranges of [first, last], U+2028
-- and U+2029 among them. Below U+0600 the rule is fixed: the C1 controls and U+00AD.
-- WiresharkDissectorTests checks the table against the standard library.
local FORMAT_RANGES = {
    { 0x600, 0x605 }, { 0x61C, 0x61C }, { 0x6DD, 0x6DD }, { 0x70F, 0x70F }, { 0x890, 0x891 }, { 0x8E2, 0x8E2 },
    { 0x180E, 0x180E }, { 0x200B, 0x200F }, { 0x2028, 0x202E }, { 0x2060, 0x2064 }, { 0x2066, 0x206F },
    { 0xFEFF, 0xFEFF }, { 0xFFF9, 0xFFFB }, { 0x110BD, 0x110BD }, { 0x110CD, 0x110CD }, { 0x13430, 0x1343F },
    { 0x1BCA0, 0x1BCA3 }, { 0x1D173, 0x1D17A }, { 0xE0001, 0xE0001 }, { 0xE0020, 0xE007F },
}

local function is_invisible_or_control(c)
    if c >= 0x80 and c <= 0x9F then return true end
    if c == 0x2028 or c == 0x2029 then return true end
    if c >= 0xA0 and c < 0x600 then return c == 0xAD end
    local lo, hi = 1, #FORMAT_RANGES
    while lo <= hi do
        local mid = floor((lo + hi) / 2)
        local r = FORMAT_RANGES[mid]
        if c < r[1] then hi = mid - 1 elseif c > r[2] then lo = mid + 1 else return true end
    end
    return false
end

local ASCII_ESCAPE = { [0x0A] = "\\n", [0x0D] = "\\r", [0x09] = "\\t", [0x1B] = "\\e" }

-- Text made safe for a terminal (and for Wireshark's Info column); with `quoting`,
-- `"` and `\` are escaped too (a quoted name).
local function terminal_safe(s, quoting)
    -- Printable ASCII but `"` and `\` passes as it is: the first other byte, found in C.
    -- (The set is space, !, # to [, ], ^ to ~: a `]` in a set must be escaped, and an
    -- escaped character cannot begin a range.)
    local i = find(s, "[^ !#-[%]^-~]")
    if not i then return s end
    local first, last = 1, #s
    local out, n = {}, 0
    local run = first
    while i <= last do
        local b = byte(s, i)
        if b >= 0x20 and b < 0x7F and b ~= 0x22 and b ~= 0x5C then
            i = i + 1
        elseif b >= 0x80 then
            local width, lower, upper = utf8_lead(b)
            local good = width and utf8_well_formed_prefix(s, i, last, width, lower, upper) or 0
            if width and good == width then
                local c = scalar_at(s, i, width)
                if is_invisible_or_control(c) then
                    n = n + 1; out[n] = sub(s, run, i - 1)
                    local digits = format("%x", c)
                    if #digits < 4 then digits = string.rep("0", 4 - #digits) .. digits end
                    n = n + 1; out[n] = "\\u{" .. digits .. "}"
                    i = i + width
                    run = i
                else
                    i = i + width
                end
            else
                n = n + 1; out[n] = sub(s, run, i - 1)
                n = n + 1; out[n] = REPLACEMENT
                i = i + (width and good or 1)
                run = i
            end
        else
            n = n + 1; out[n] = sub(s, run, i - 1)
            if b == 0x22 or b == 0x5C then
                n = n + 1; out[n] = (quoting and "\\" or "") .. char(b)
            else
                n = n + 1; out[n] = ASCII_ESCAPE[b] or ("\\x" .. hex2(b))
            end
            i = i + 1
            run = i
        end
    end
    if n == 0 then return sub(s, first, last) end
    n = n + 1; out[n] = sub(s, run, last)
    return concat(out)
end

-- ---------------------------------------------------------------------------
-- Legacy JSON: a strict RFC 8259 parser, the codec's JSONParser line for line, with
-- its sentences and offsets (a failure is a table {offset, message}).

-- appendJSONEscaped over a string's UTF-8 bytes: the compact text peersniff writes.
local JSON_ESCAPE = { [0x22] = "\\\"", [0x5C] = "\\\\", [0x0A] = "\\n", [0x0D] = "\\r", [0x09] = "\\t" }
local function json_quote(text)
    local escaped = text:gsub("[\0-\31\"\\\127]", function(c)
        local b = byte(c)
        return JSON_ESCAPE[b] or ("\\u00" .. hex2(b))
    end)
    return "\"" .. escaped .. "\""
end

local function parse_json(s, n)
    local i = 0 -- 0-based, as the codec's offsets
    local function fail(message, at) error({ offset = at or i, message = message }, 0) end
    local function current() if i < n then return byte(s, i + 1) end return nil end
    local function skip_whitespace()
        while i < n do
            local b = byte(s, i + 1)
            if b == 0x20 or b == 0x09 or b == 0x0A or b == 0x0D then i = i + 1 else return end
        end
    end
    local function is_digit(b) return b ~= nil and b >= 0x30 and b <= 0x39 end

    local parse_value

    local function literal(word)
        local count = #word
        if i + count > n then fail("the text ends inside a literal") end
        if sub(s, i + 1, i + count) ~= word then fail("not a JSON literal") end
        i = i + count
    end

    local function hex4(escape)
        if i + 4 > n then fail("the text ends inside a \\u escape", escape) end
        local v = 0
        for _ = 1, 4 do
            local c = byte(s, i + 1)
            local d
            if c >= 0x30 and c <= 0x39 then d = c - 0x30
            elseif c >= 0x61 and c <= 0x66 then d = c - 0x61 + 10
            elseif c >= 0x41 and c <= 0x46 then d = c - 0x41 + 10
            else fail("bad hex digit in a \\u escape", escape) end
            v = v * 16 + d
            i = i + 1
        end
        return v
    end

    local SIMPLE = { [0x22] = "\"", [0x5C] = "\\", [0x2F] = "/", [0x62] = "\8", [0x66] = "\12", [0x6E] = "\n",
                     [0x72] = "\r", [0x74] = "\t" }

    -- A string's text (its UTF-8 bytes, escapes resolved).
    local function parse_string()
        i = i + 1
        local parts, p = {}, 0
        while true do
            local b = current()
            if b == nil then fail("the text ends inside a string") end
            if b == 0x22 then
                i = i + 1
                return concat(parts)
            end
            if b < 0x20 then fail("a control character inside a string") end
            if b == 0x5C then
                local escape = i
                i = i + 1
                local e = current()
                if e == nil then fail("the text ends inside an escape", escape) end
                i = i + 1
                if SIMPLE[e] then
                    p = p + 1; parts[p] = SIMPLE[e]
                elseif e == 0x75 then
                    local code = hex4(escape)
                    if code >= 0xD800 and code <= 0xDBFF then
                        if not (i + 1 < n and byte(s, i + 1) == 0x5C and byte(s, i + 2) == 0x75) then
                            fail("a lone high surrogate")
                        end
                        local second = i
                        i = i + 2
                        local low = hex4(second)
                        if not (low >= 0xDC00 and low <= 0xDFFF) then fail("a high surrogate without its low half", second) end
                        code = 0x10000 + (code - 0xD800) * 1024 + (low - 0xDC00)
                    elseif code >= 0xDC00 and code <= 0xDFFF then
                        fail("a lone low surrogate", escape)
                    end
                    p = p + 1; parts[p] = utf8_char(code)
                else
                    fail("an unknown escape", escape)
                end
            else
                -- One UTF-8 scalar, checked strictly.
                local width = 1
                if b >= 0x80 then
                    width = utf8_lead(b)
                    if not width then fail("bytes that are not UTF-8 inside a string") end
                end
                if i + width > n then fail("the text ends inside a UTF-8 character") end
                if width > 1 and check_utf8(sub(s, i + 1, i + width)) ~= "valid" then
                    fail("bytes that are not UTF-8 inside a string")
                end
                p = p + 1; parts[p] = sub(s, i + 1, i + width)
                i = i + width
            end
        end
    end

    local function parse_number()
        local start = i
        if current() == 0x2D then i = i + 1 end
        if not is_digit(current()) then fail("a number needs a digit", start) end
        if current() == 0x30 then
            i = i + 1
        else
            while is_digit(current()) do i = i + 1 end
        end
        if current() == 0x2E then
            i = i + 1
            if not is_digit(current()) then fail("a fraction needs a digit", start) end
            while is_digit(current()) do i = i + 1 end
        end
        local e = current()
        if e == 0x65 or e == 0x45 then
            i = i + 1
            local sign = current()
            if sign == 0x2B or sign == 0x2D then i = i + 1 end
            if not is_digit(current()) then fail("an exponent needs a digit", start) end
            while is_digit(current()) do i = i + 1 end
        end
        return sub(s, start + 1, i)
    end

    -- Returns the value's compact text, and its text when it is a string. `members`
    -- (the top level's) collects {key, text, string} of each member.
    local function parse_object(depth, members)
        if depth > JSON_MAX_DEPTH then fail("nested too deeply") end
        i = i + 1
        local parts, p = {}, 0
        skip_whitespace()
        if current() == 0x7D then
            i = i + 1
            return "{}"
        end
        while true do
            skip_whitespace()
            if current() ~= 0x22 then fail("expected a string key") end
            local key = parse_string()
            skip_whitespace()
            if current() ~= 0x3A then fail("expected ':' after a key") end
            i = i + 1
            local text, string_value = parse_value(depth)
            p = p + 1; parts[p] = json_quote(key) .. ":" .. text
            if members then members[#members + 1] = { key = key, text = text, string = string_value } end
            skip_whitespace()
            local b = current()
            if b == nil then fail("the text ends inside an object") end
            if b == 0x2C then
                i = i + 1
            elseif b == 0x7D then
                i = i + 1
                return "{" .. concat(parts, ",") .. "}"
            else
                fail("expected ',' or '}' in an object")
            end
        end
    end

    local function parse_array(depth)
        if depth > JSON_MAX_DEPTH then fail("nested too deeply") end
        i = i + 1
        local parts, p = {}, 0
        skip_whitespace()
        if current() == 0x5D then
            i = i + 1
            return "[]"
        end
        while true do
            p = p + 1; parts[p] = (parse_value(depth))
            skip_whitespace()
            local b = current()
            if b == nil then fail("the text ends inside an array") end
            if b == 0x2C then
                i = i + 1
            elseif b == 0x5D then
                i = i + 1
                return "[" .. concat(parts, ",") .. "]"
            else
                fail("expected ',' or ']' in an array")
            end
        end
    end

    parse_value = function(depth, members)
        skip_whitespace()
        local b = current()
        if b == nil then fail("the text ends where a value should be") end
        if b == 0x7B then return parse_object(depth + 1, members) end
        if b == 0x5B then return parse_array(depth + 1) end
        if b == 0x22 then
            local text = parse_string()
            return json_quote(text), text
        end
        if b == 0x74 then literal("true"); return "true" end
        if b == 0x66 then literal("false"); return "false" end
        if b == 0x6E then literal("null"); return "null" end
        if b == 0x2D or is_digit(b) then return parse_number() end
        fail("unexpected byte where a value should be")
    end

    local members = {}
    local ok, text = pcall(parse_value, 0, members)
    if not ok then
        if type(text) ~= "table" then error(text, 0) end -- a bug here, not bad JSON: let it show
        return nil, text
    end
    skip_whitespace()
    return { text = text, members = members, stop = i }
end

-- ---------------------------------------------------------------------------
-- The codec: decodeFrame (Sources/DiscoveryCodec/Decoder.swift) and the warnings'
-- offsets (WarningLocator.swift). `s` holds the payload, `n` bytes; `sender` is the
-- IPv4 source's value. Returns a table: kind "frame" or "malformed", and what the
-- tree shows. Offsets are 0-based, as peersniff reports them.

-- The peers a FULL's Info column names, as peersniff's text line without -v.
local PEERS_SHOWN = 3
local TYPE_NAME = { [0x01] = "HELLO", [0x02] = "FULL", [0x03] = "PING", [0x04] = "PONG", [0x05] = "OFFLINE", [0x7B] = "LEGACY" }

local function malformed(r, reason, offset, detail)
    r.kind = "malformed"
    r.reason = reason
    r.offset = offset
    r.detail = detail
    return r
end

local function trailing(r, after, what)
    local extra = r.n - after
    return malformed(r, "trailing-bytes", after,
        extra .. " byte" .. (extra == 1 and "" or "s") .. " after the end of a complete " .. what .. " at offset " .. after)
end

local function decode(s, n, sender)
    local r = { n = n, warnings = {}, offsets = {} }
    if n == 0 then return malformed(r, "empty", 0, "the payload is empty") end
    local t = byte(s, 1)
    r.type_byte = t
    local warnings = r.warnings
    if n > RECEIVE_BUFFER then warnings["exceeds-receive-buffer"] = true; r.offsets["exceeds-receive-buffer"] = RECEIVE_BUFFER end
    local name = TYPE_NAME[t]
    if not name then
        return malformed(r, "unknown-type", 0,
            "type byte 0x" .. hex2(t) .. " is not HELLO, FULL, PING, PONG, OFFLINE (1 to 5) or JSON '{'")
    end
    r.type = name

    if t == 0x03 or t == 0x04 then
        if n > 1 then return trailing(r, 1, name) end

    elseif t == 0x05 then
        if n < 5 then
            return malformed(r, "truncated-header", 0, "OFFLINE needs 5 bytes (type and an IPv4 address), the payload has " .. n)
        end
        r.ip, r.ip_text = ipv4_at(s, 1)
        if n > 5 then return trailing(r, 5, "OFFLINE") end

    elseif t == 0x01 then
        if n < 2 then
            return malformed(r, "truncated-header", 0, "HELLO needs 2 bytes (type and name length), the payload has " .. n)
        end
        local length = byte(s, 2)
        r.name_length = length
        if 2 + length > n then
            return malformed(r, "truncated-name", 2, "name of " .. length .. " bytes at offset 2, only " .. (n - 2) .. " left")
        end
        r.name_end = 2 + length
        if n > 2 + length then return trailing(r, 2 + length, "HELLO") end
        r.name = sub(s, 3, 2 + length)
        for code in pairs(name_warnings(r.name)) do
            warnings[code] = true
            r.offsets[code] = 1
        end

    elseif t == 0x02 then
        if n < 2 then
            return malformed(r, "truncated-header", 0, "FULL needs 2 bytes (type and entry count), the payload has " .. n)
        end
        local count = byte(s, 2)
        r.count = count
        if count > MAX_PEERS then warnings["too-many-peers"] = true; r.offsets["too-many-peers"] = 1 end
        local entries = {}
        r.entries = entries
        local offset = 2
        for index = 1, count do
            local left = n - offset
            if left < 5 then
                return malformed(r, "truncated-peer", offset,
                    "peer " .. index .. " of " .. count .. " needs 5 bytes at offset " .. offset .. ", " .. left .. " left")
            end
            local ip, ip_text = ipv4_at(s, offset)
            local length = byte(s, offset + 5)
            if 5 + length > left then
                return malformed(r, "truncated-peer", offset,
                    "peer " .. index .. " of " .. count .. " needs " .. (5 + length) .. " bytes at offset " .. offset
                    .. " (a " .. length .. "-byte name), " .. left .. " left")
            end
            entries[index] = { offset = offset, ip = ip, ip_text = ip_text, name_length = length, name = sub(s, offset + 6, offset + 5 + length) }
            offset = offset + 5 + length
        end
        if offset < n then return trailing(r, offset, "FULL") end
        -- The names, in wire order: a warning points at the first name that earned it.
        for index = 1, count do
            local e = entries[index]
            for code in pairs(name_warnings(e.name)) do
                warnings[code] = true
                if not r.offsets[code] then r.offsets[code] = e.offset + 4 end
            end
        end
        -- The firmware lists the sender first.
        if sender and (count == 0 or entries[1].ip ~= sender) then
            warnings["full-sender-not-first"] = true
            r.offsets["full-sender-not-first"] = 2
        end
        -- Then every other device by ascending IP, each once.
        if count > 1 then
            local seen = {}
            for index = 1, count do
                local e = entries[index]
                if index >= 3 and e.ip < entries[index - 1].ip and not warnings["full-not-sorted"] then
                    warnings["full-not-sorted"] = true
                    r.offsets["full-not-sorted"] = e.offset
                end
                if seen[e.ip] and not warnings["full-duplicate-ip"] then
                    warnings["full-duplicate-ip"] = true
                    r.offsets["full-duplicate-ip"] = e.offset
                end
                seen[e.ip] = true
            end
        end

    else -- 0x7B, legacy JSON
        local json, failure = parse_json(s, n)
        if not json then
            return malformed(r, "bad-json", 0, "not a JSON object: " .. failure.message .. " at offset " .. failure.offset)
        end
        if json.stop < n then return trailing(r, json.stop, "JSON object") end
        r.json = json
        for _, member in ipairs(json.members) do
            if member.key == "name" and r.legacy_name == nil then r.legacy_name = member.string or false end
            if member.key == "version" and r.legacy_version == nil then r.legacy_version = member.string or false end
            if member.key == "discover" and r.legacy_discover == nil then r.legacy_discover = member.text end
        end
    end

    r.kind = "frame"
    return r
end

-- Only for the heuristic: a clean frame of a type worth claiming on any port.
local function looks_like_discovery(s, n)
    if n < 2 then return false end -- PING and PONG are one byte: too weak to tell
    local t = byte(s, 1)
    if t ~= 0x01 and t ~= 0x02 and t ~= 0x05 and t ~= 0x7B then return false end
    local r = decode(s, n, nil)
    if r.kind ~= "frame" then return false end
    for _ in pairs(r.warnings) do return false end
    if t == 0x02 and r.count == 0 then return false end
    if t == 0x7B and #r.json.members == 0 then return false end
    return true
end

-- ---------------------------------------------------------------------------
-- The packet around the payload: the IP version, addresses and UDP header, for the
-- checks peersniff makes before the codec.

local f_ip_src = Field.new("ip.src")
local f_ip_dst = Field.new("ip.dst")
local f_udp_length = Field.new("udp.length")
local f_udp_checksum = Field.new("udp.checksum")
local f_udp_srcport = Field.new("udp.srcport")
local f_udp_dstport = Field.new("udp.dstport")
local f_ip_fragment_count = Field.new("ip.fragment.count")
local f_ip_len = Field.new("ip.len")
local f_ip_hdr_len = Field.new("ip.hdr_len")
local f_frame_len = Field.new("frame.len")
local f_frame_cap_len = Field.new("frame.cap_len")

-- The last of a field's values in this packet (the innermost header), or nil.
local function last_value(...)
    local count = select("#", ...)
    if count == 0 then return nil end
    return (select(count, ...))
end
local function last_of(field)
    return last_value(field())
end

-- The folded 16-bit ones' complement sum of s[first..last] (RFC 1071) plus `sum`.
local function ones_complement_sum(s, first, last, sum)
    local i = first
    while i + 7 <= last do
        local a, b, c, d, e, f, g, h = byte(s, i, i + 7)
        sum = sum + a * 256 + b + c * 256 + d + e * 256 + f + g * 256 + h
        i = i + 8
    end
    while i + 1 <= last do
        local a, b = byte(s, i, i + 1)
        sum = sum + a * 256 + b
        i = i + 2
    end
    if i == last then sum = sum + byte(s, i) * 256 end
    while sum > 0xFFFF do sum = sum % 65536 + floor(sum / 65536) end
    return sum
end

local function fold(v)
    while v > 0xFFFF do v = v % 65536 + floor(v / 65536) end
    return v
end

-- verifyUDPChecksum (Sources/PacketLayers/UDP.swift): nil when the datagram passes
-- (valid, absent or offloaded), else the value the field should have held.
local function bad_checksum(s, n, source, destination, sport, dport, length, field)
    if field == 0 then return nil end
    local pseudo = floor(source / 65536) + source % 65536 + floor(destination / 65536) + destination % 65536 + 17 + length
    local sum = ones_complement_sum(s, 1, n, pseudo + sport + dport + length + field)
    if sum == 0xFFFF then return nil end
    if field == fold(pseudo) then return nil end
    local without = fold(sum + (0xFFFF - field))
    local expected = 0xFFFF - without
    if expected == 0 then expected = 0xFFFF end
    return expected
end

-- ---------------------------------------------------------------------------
-- The tree and the columns

-- Wireshark keeps 4095 bytes of a column: a longer line (a FULL of many long names)
-- is cut there, but at a character's start, not inside it.
local INFO_LIMIT = 4095

local function set_info(pinfo, text)
    pinfo.cols.protocol:set("DISCOVERY")
    if #text > INFO_LIMIT then
        local cut = INFO_LIMIT
        while cut > 0 and byte(text, cut + 1) >= 0x80 and byte(text, cut + 1) <= 0xBF do cut = cut - 1 end
        text = sub(text, 1, cut)
    end
    pinfo.cols.info:set(text)
end

-- A warning's or a malformation's expert item over `first`, `count` bytes of the
-- payload (clamped to what was captured), with its name field and offset.
local function range_at(tvb, first, count)
    local captured = tvb:len()
    if first > captured then first = captured end
    if count < 0 or first + count > captured then count = captured - first end
    return tvb(first, count)
end

-- One FULL entry; `label` (the address and the quoted name, as the Info column shows
-- them) is its text when the tree is shown.
local function add_peer(tree, tvb, s, e, index, label)
    local name_text = utf8_text(e.name)
    local item = tree:add(F.peer, tvb(e.offset, 5 + e.name_length))
    if tree.visible then
        item:set_text("Peer " .. index .. ": " .. (label or (e.ip_text .. " \"" .. terminal_safe(e.name, true) .. "\"")))
    end
    item:add(F.peer_index, index):set_generated()
    item:add(F.peer_ip, tvb(e.offset, 4))
    item:add(F.peer_name_length, tvb(e.offset + 4, 1))
    item:add(F.peer_name, tvb(e.offset + 5, e.name_length), name_text)
    return item
end

-- The element a malformation points at: from its offset to the payload's end, but
-- one byte for an unknown type and nothing for what lies past the end.
local function malformation_range(tvb, r)
    if r.reason == "unknown-type" then return range_at(tvb, 0, 1) end
    return range_at(tvb, r.offset, r.n - r.offset)
end

-- The element a warning points at: a name (its length byte and bytes), an entry, the
-- count byte, the bytes past the receive buffer; the whole payload for `fragmented`.
local function warning_range(tvb, r, code)
    local offset = r.offsets[code]
    if code == "fragmented" or offset == nil then return range_at(tvb, 0, r.n) end
    if code == "exceeds-receive-buffer" then return range_at(tvb, offset, r.n - offset) end
    if code == "too-many-peers" then return range_at(tvb, 1, 1) end
    if r.type == "HELLO" then return range_at(tvb, 1, 1 + r.name_length) end
    for _, e in ipairs(r.entries or {}) do
        if e.offset == offset then return range_at(tvb, offset, 5 + e.name_length) end
        if e.offset + 4 == offset then return range_at(tvb, offset, 1 + e.name_length) end
    end
    return range_at(tvb, offset, 0)
end

-- A malformation: its reason over its element, the offset and the sentence, the expert
-- info, and the Info column as peersniff's text line says it.
local function show_malformed(pinfo, root, range, reason, offset, length, detail)
    local item = root:add(F.malformed, range, reason)
    item:add(F.malformed_offset, offset):set_generated()
    item:add(F.malformed_detail, detail):set_generated()
    item:add_proto_expert_info(E[reason], reason .. ": " .. detail)
    root:append_text(", MALFORMED " .. reason)
    set_info(pinfo, "MALFORMED " .. reason .. " at offset " .. offset .. " of " .. length .. ": "
        .. terminal_safe(detail, false))
end

local function dissect_payload(tvb, pinfo, tree, sender, fragmented)
    local n = tvb:len()
    local s = n > 0 and tvb:raw(0, n) or ""
    local r = decode(s, n, sender)
    if fragmented and r.kind == "frame" then r.warnings["fragmented"] = true end

    local root = tree:add(discovery, tvb())
    root:add(F.length, n):set_generated()
    if n > 0 then root:add(F.type_byte, tvb(0, 1)) end

    if r.kind == "malformed" then
        -- What could be read before the problem, then the reason over its element.
        if r.type == "HELLO" and r.name_length then root:add(F.name_length, tvb(1, 1)) end
        if r.type == "FULL" and r.count then
            root:add(F.peer_count, tvb(1, 1))
            for index, e in ipairs(r.entries) do add_peer(root, tvb, s, e, index, nil) end
        end
        show_malformed(pinfo, root, malformation_range(tvb, r), r.reason, r.offset, n, r.detail)
        return
    end

    root:add(F.type, tvb(0, 1), r.type)
    root:append_text(", " .. r.type)
    local info
    if r.type == "HELLO" then
        local text = utf8_text(r.name)
        root:add(F.name_length, tvb(1, 1))
        root:add(F.name, tvb(2, r.name_length), text)
        local quoted = "\"" .. terminal_safe(r.name, true) .. "\""
        root:append_text(" " .. quoted)
        info = "HELLO " .. quoted
    elseif r.type == "FULL" then
        root:add(F.peer_count, tvb(1, 1))
        local parts = {}
        for index, e in ipairs(r.entries) do
            parts[index] = e.ip_text .. " \"" .. terminal_safe(e.name, true) .. "\""
            add_peer(root, tvb, s, e, index, parts[index])
        end
        local peers = r.count .. (r.count == 1 and " peer" or " peers")
        root:append_text(", " .. peers)
        info = "FULL " .. peers
        -- As peersniff's text line: the first three peers, then … (the tree has them all).
        if r.count > 0 then
            local shown = {}
            for index = 1, math.min(#parts, PEERS_SHOWN) do shown[index] = parts[index] end
            info = info .. ": " .. concat(shown, ", ")
            if #parts > PEERS_SHOWN then info = info .. ", …" end
        end
    elseif r.type == "OFFLINE" then
        root:add(F.offline_ip, tvb(1, 4))
        root:append_text(" " .. r.ip_text)
        info = "OFFLINE " .. r.ip_text
    elseif r.type == "LEGACY" then
        local json = r.json
        root:add(F.legacy_json, tvb(), json.text)
        for _, member in ipairs(json.members) do
            local item = root:add(F.legacy_member, tvb())
            item:set_text(json_quote(member.key) .. ": " .. member.text)
            item:add(F.legacy_key, member.key)
            item:add(F.legacy_value, member.text)
        end
        if r.legacy_name then root:add(F.legacy_name, tvb(), r.legacy_name):set_generated() end
        if r.legacy_version then root:add(F.legacy_version, tvb(), r.legacy_version):set_generated() end
        if r.legacy_discover then root:add(F.legacy_discover, tvb(), r.legacy_discover):set_generated() end
        info = "LEGACY " .. terminal_safe(json.text, false)
    else
        info = r.type
    end

    local codes = {}
    for _, code in ipairs(WARNINGS) do
        if r.warnings[code] then
            codes[#codes + 1] = code
            local item = root:add(F.warning, warning_range(tvb, r, code), code)
            if r.offsets[code] then item:add(F.warning_offset, r.offsets[code]):set_generated() end
            item:add_proto_expert_info(E[code], code .. ": " .. EXPLANATION[code] .. " (" .. r.type .. " still decoded)")
        end
    end
    if #codes > 0 then info = info .. "  warning: " .. concat(codes, " ") end
    set_info(pinfo, info)
end

-- The datagram as peersniff takes it: IPv6 is reported, a cut payload is reported,
-- a bad checksum is reported; the rest goes to the codec.
-- The packet the port's dissector last saw, and the port it is registered on.
local dissected_frame = nil
local registered_port = DEFAULT_PORT

local function dissect(tvb, pinfo, tree)
    dissected_frame = pinfo.number
    local n = tvb:len()
    local reported = tvb:reported_len()
    if tostring(pinfo.net_src):find(":", 1, true) then
        local root = tree:add(discovery, tvb())
        root:add(F.length, reported):set_generated()
        if n > 0 then root:add(F.type_byte, tvb(0, 1)) end
        show_malformed(pinfo, root, range_at(tvb, 0, n), "not-ipv4", 0, reported,
            "UDP over IPv6 to or from the discovery port: the protocol is IPv4 only; not decoded")
        return reported
    end
    if n < reported then
        local root = tree:add(discovery, tvb())
        root:add(F.length, reported):set_generated()
        if n > 0 then root:add(F.type_byte, tvb(0, 1)) end
        show_malformed(pinfo, root, range_at(tvb, n, 0), "truncated-capture", n, reported,
            "the capture's snap length kept " .. n .. " of the payload's " .. reported .. " bytes; the rest cannot be judged")
        return n
    end
    local source_field, destination_field = last_of(f_ip_src), last_of(f_ip_dst)
    local sender = source_field and source_field.range:uint() or nil
    if discovery.prefs.verify_checksums and sender and destination_field then
        local checksum = last_of(f_udp_checksum)
        local length = last_of(f_udp_length)
        if checksum and length and length.value == n + 8 then
            local s = n > 0 and tvb:raw(0, n) or ""
            local expected = bad_checksum(s, n, sender, destination_field.range:uint(), last_of(f_udp_srcport).value,
                last_of(f_udp_dstport).value, length.value, checksum.value)
            if expected then
                local root = tree:add(discovery, tvb())
                root:add(F.length, n):set_generated()
                if n > 0 then root:add(F.type_byte, tvb(0, 1)) end
                show_malformed(pinfo, root, range_at(tvb, 0, n), "bad-udp-checksum", 0, n,
                    "UDP checksum 0x" .. hex16(checksum.value) .. " does not match the datagram (0x" .. hex16(expected)
                    .. " expected); not decoded")
                return n
            end
        end
    end
    dissect_payload(tvb, pinfo, tree, sender, last_of(f_ip_fragment_count) ~= nil)
    return n
end

function discovery.dissector(tvb, pinfo, tree)
    return dissect(tvb, pinfo, tree)
end

local function heuristic(tvb, pinfo, tree)
    if not discovery.prefs.heuristic then return false end
    local n = tvb:len()
    if n ~= tvb:reported_len() or n < 2 then return false end
    if tostring(pinfo.net_src):find(":", 1, true) then return false end
    if not looks_like_discovery(tvb:raw(0, n), n) then return false end
    dissect(tvb, pinfo, tree)
    return true
end

-- Datagrams UDP hands to no dissector: an empty payload, and a packet the snap
-- length cut inside the UDP header or right after it. peersniff reports them (empty,
-- truncated-capture, not-ipv4); this postdissector finds them after the fact.
local unhanded = Proto("discovery_unhanded", "Pinball Board Discovery: datagrams UDP hands to no dissector")

function unhanded.dissector(tvb, pinfo, tree)
    if dissected_frame == pinfo.number then return end
    local sport, dport = last_of(f_udp_srcport), last_of(f_udp_dstport)
    if not sport or not dport then return end
    if sport.value ~= registered_port and dport.value ~= registered_port then return end
    local frame_len, cap_len = last_of(f_frame_len), last_of(f_frame_cap_len)
    local cut = frame_len and cap_len and cap_len.value < frame_len.value
    local length = last_of(f_udp_length)
    -- Where the payload would begin; whether the whole UDP header was captured.
    local at = sport.offset + 8
    local whole_header = at <= tvb:len()
    if not whole_header then at = tvb:len() end
    local ipv6 = tostring(pinfo.net_src):find(":", 1, true)
    local reason, declared, offset, detail
    if ipv6 then
        if not (length and whole_header) then return end
        declared = math.max(0, length.value - 8)
        reason, offset, detail = "not-ipv4", 0, "UDP over IPv6 to or from the discovery port: the protocol is IPv4 only; not decoded"
    elseif not whole_header then
        if not cut then return end
        local total, header = last_of(f_ip_len), last_of(f_ip_hdr_len)
        declared = (total and header) and math.max(0, total.value - header.value - 8) or 0
        reason, offset = "truncated-capture", 0
        detail = "the capture's snap length cut the packet inside the UDP header; the payload cannot be judged"
    elseif length and length.value == 8 then
        declared, offset = 0, 0
        local checksum, source, destination = last_of(f_udp_checksum), last_of(f_ip_src), last_of(f_ip_dst)
        local expected = discovery.prefs.verify_checksums and checksum and source and destination
            and bad_checksum("", 0, source.range:uint(), destination.range:uint(), sport.value, dport.value, 8, checksum.value)
        if expected then
            reason = "bad-udp-checksum"
            detail = "UDP checksum 0x" .. hex16(checksum.value) .. " does not match the datagram (0x" .. hex16(expected) .. " expected); not decoded"
        else
            reason, detail = "empty", "the payload is empty"
        end
    elseif length and cut and length.value > 8 and at == tvb:len() then
        declared = length.value - 8
        reason, offset = "truncated-capture", 0
        detail = "the capture's snap length kept 0 of the payload's " .. declared .. " bytes; the rest cannot be judged"
    else
        return
    end
    local root = tree:add(discovery, tvb(at, 0))
    root:add(F.length, declared):set_generated()
    show_malformed(pinfo, root, tvb(at, 0), reason, offset, declared, detail)
end

-- ---------------------------------------------------------------------------
-- Registration: the port (a preference), the heuristic for other ports, and the
-- postdissector for what UDP hands to no one.

local udp_port = DissectorTable.get("udp.port")
registered_port = DEFAULT_PORT
udp_port:add(registered_port, discovery)

function discovery.prefs_changed()
    if discovery.prefs.port ~= registered_port then
        udp_port:remove(registered_port, discovery)
        registered_port = discovery.prefs.port
        udp_port:add(registered_port, discovery)
    end
end

discovery:register_heuristic("udp", heuristic)
register_postdissector(unhanded)
