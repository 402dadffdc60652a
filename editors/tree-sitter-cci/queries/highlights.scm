; cci-dsl highlighting (tree-sitter queries; Neovim and Helix capture names).

(comment) @comment
(string) @string
(number) @number
(size (number) @number)
(unit) @type.builtin
(address) @constant
(aws_id) @constant

(use "use" @keyword)
(use path: (path) @module)

(block kind: (identifier) @keyword)
(block label: (label) @type)
(block label: (string) @type)

(attribute key: (identifier) @property)
(attribute key: (string) @property)

(rule ["allow" "from" "to"] @keyword)
(protocol) @type.builtin
(rule from: (identifier) @variable)
(rule to: (identifier) @variable)

(call function: (identifier) @function)

((identifier) @constant.builtin
  (#any-of? @constant.builtin "true" "false" "secret"))

["{" "}" "[" "]" "(" ")"] @punctuation.bracket
["," ";"] @punctuation.delimiter
"=" @operator
