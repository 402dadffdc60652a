// The cci-dsl language for tree-sitter (highlighting in Neovim's and Helix's tree-sitter
// engines). The same grammar as grammar/cci.lark, which the compiler's parser implements;
// looser in its tokens (a size's unit, an address's digits are not checked): the compiler
// says what is wrong, this only shows what is what. tests/suite/editors.rs generates it with
// the tree-sitter CLI, runs test/corpus, and parses every example and stdlib file with it.

const commaSep1 = (rule) => seq(rule, repeat(seq(",", rule)));

module.exports = grammar({
  name: "cci",

  extras: ($) => [/\s/, $.comment],

  word: ($) => $.identifier,

  rules: {
    source_file: ($) => repeat(choice($.use, $.rule, $.block)),

    use: ($) => seq("use", field("path", $.path)),

    block: ($) =>
      seq(
        field("kind", $.identifier),
        repeat(field("label", choice($.string, $.label))),
        field("body", $.body)
      ),

    body: ($) =>
      seq("{", repeat(seq(choice($.attribute, $.block, $.rule), optional(choice(",", ";")))), "}"),

    attribute: ($) =>
      seq(field("key", choice($.identifier, $.string)), "=", field("value", $._value)),

    // allow PROTOCOL [PORTS] from A to B "purpose" [{ attrs }]
    rule: ($) =>
      seq(
        "allow",
        field("protocol", $.protocol),
        optional(field("ports", $.ports)),
        "from",
        field("from", $._endpoint),
        "to",
        field("to", $._endpoint),
        field("purpose", $.string),
        optional(field("body", $.rule_body))
      ),

    rule_body: ($) => seq("{", repeat(seq($.attribute, optional(choice(",", ";")))), "}"),

    protocol: (_) => choice("tcp", "udp", "icmp", "all"),

    ports: ($) => commaSep1($.number),

    _endpoint: ($) => choice($.identifier, $.address),

    _value: ($) =>
      choice($.string, $.size, $.number, $.address, $.aws_id, $.list, $.call, $.identifier),

    size: ($) =>
      seq(
        $.number,
        field(
          "unit",
          alias(
            choice("B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB", "Mbps", "Gbps"),
            $.unit
          )
        )
      ),

    list: ($) => seq("[", optional(seq(commaSep1($._value), optional(","))), "]"),

    call: ($) =>
      seq(field("function", $.identifier), "(", optional(commaSep1($._value)), ")"),

    identifier: (_) => /[A-Za-z_][A-Za-z0-9_]*/,
    label: (_) => /[A-Za-z_][A-Za-z0-9_-]*/,
    path: (_) => /[A-Za-z0-9_.\/-]+/,
    string: (_) => /"([^"\\\n]|\\["\\])*"/,
    // 443, 1..5, 9000-9010
    number: (_) => /[0-9]+(\.\.[0-9]+|-[0-9]+)?/,
    // IPv4 and IPv6 addresses and networks.
    address: (_) =>
      token(
        choice(
          /[0-9]{1,3}(\.[0-9]{1,3}){3}(\/[0-9]{1,2})?/,
          /[0-9A-Fa-f]*:[0-9A-Fa-f:]*(\/[0-9]{1,3})?/
        )
      ),
    aws_id: (_) => /(vpc|subnet|sg|ami|igw|nat|rtb|vpce|pl|eni)-[A-Za-z0-9_-]+/,
    comment: (_) => /#[^\n]*/,
  },
});
