-- cci-dsl in Neovim 0.7 and later: the `cci` filetype for *.cci files, and the language
-- server `cci-dsl lsp` started for them (diagnostics, hover, definition, references,
-- completion, formatting).
--
-- Install: copy this file to ~/.config/nvim/plugin/cci.lua (Neovim sources it at startup).
-- The server's command is `cci-dsl lsp` from PATH; to run another, set before it is sourced:
--   vim.g.cci_dsl_cmd = { "/path/to/cci-dsl", "lsp" }
--
-- Each Neovim version through its own API: 0.11+ `vim.lsp.config` and `vim.lsp.enable`;
-- 0.8 to 0.10 `vim.lsp.start` on the FileType event; 0.7 `vim.lsp.start_client` once, and
-- `vim.lsp.buf_attach_client` on the FileType event. (tests/suite/editors.rs runs this file
-- in Neovim headless.)

local cmd = vim.g.cci_dsl_cmd or { "cci-dsl", "lsp" }

-- The filetype. `vim.filetype.add` exists from 0.7, but 0.7 reads it only under
-- `g:do_filetype_lua`: there an autocommand says it.
if vim.filetype and vim.filetype.add then
  vim.filetype.add({ extension = { cci = "cci" } })
end
if vim.fn.has("nvim-0.8") == 0 then
  vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
    pattern = "*.cci",
    command = "setfiletype cci",
  })
end

-- Comments start with `#`; highlighting by Vim's syntax engine (the TextMate grammar of
-- editors/vscode, in short: comments, strings, block kinds, rules, numbers, CIDRs, sizes).
local syntax = [[
syntax keyword cciBlock use site aws tags dns proxy tls state s3 actors services backup fleet external instance_type
syntax keyword cciRule allow from to
syntax keyword cciProtocol tcp udp icmp all
syntax keyword cciConstant true false secret
syntax match cciNumber /\<\d\+\(\.\.\d\+\)\?\>/
syntax match cciNumber /\<\d\{1,3}\(\.\d\{1,3}\)\{3}\(\/\d\{1,2}\)\?\>/
syntax match cciNumber /\<\d\+\s*\(KiB\|MiB\|GiB\|TiB\|KB\|MB\|GB\|TB\|Mbps\|Gbps\)\>/
syntax region cciString start=/"/ skip=/\\./ end=/"/
syntax match cciComment /#.*$/
highlight default link cciBlock Keyword
highlight default link cciRule Statement
highlight default link cciProtocol Type
highlight default link cciConstant Constant
highlight default link cciNumber Number
highlight default link cciString String
highlight default link cciComment Comment
]]
vim.api.nvim_create_autocmd("FileType", {
  pattern = "cci",
  callback = function(args)
    vim.bo[args.buf].commentstring = "# %s"
    -- The tree-sitter grammar (editors/tree-sitter-cci) where its parser is installed (0.9+).
    if vim.fn.has("nvim-0.9") == 1 and pcall(vim.treesitter.start, args.buf, "cci") then
      return
    end
    -- After the `Syntax` event that follows, which clears the buffer's syntax.
    vim.schedule(function()
      if vim.api.nvim_buf_is_valid(args.buf) and vim.b[args.buf].current_syntax == nil then
        vim.api.nvim_buf_call(args.buf, function()
          vim.cmd(syntax)
        end)
        vim.b[args.buf].current_syntax = "cci"
      end
    end)
  end,
})

-- The project: the nearest directory holding a .git, else the file's own directory.
local function root_of(file)
  local dir = vim.fn.fnamemodify(file, ":p:h")
  local git = vim.fn.finddir(".git", dir .. ";")
  if git ~= "" then
    return vim.fn.fnamemodify(git, ":p:h:h")
  end
  return dir
end

if vim.fn.has("nvim-0.11") == 1 then
  vim.lsp.config("cci_dsl", { cmd = cmd, filetypes = { "cci" }, root_markers = { ".git" } })
  vim.lsp.enable("cci_dsl")
elseif vim.fn.has("nvim-0.8") == 1 then
  vim.api.nvim_create_autocmd("FileType", {
    pattern = "cci",
    callback = function(args)
      vim.lsp.start({ name = "cci_dsl", cmd = cmd, root_dir = root_of(args.file) })
    end,
  })
else
  local client_id
  vim.api.nvim_create_autocmd("FileType", {
    pattern = "cci",
    callback = function(args)
      if not client_id or not vim.lsp.get_client_by_id(client_id) then
        client_id = vim.lsp.start_client({
          name = "cci_dsl",
          cmd = cmd,
          root_dir = root_of(args.file),
        })
      end
      if client_id then
        vim.lsp.buf_attach_client(args.buf, client_id)
      end
    end,
  })
end
