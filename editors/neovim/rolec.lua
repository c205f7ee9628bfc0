-- rolec support for Neovim, without nvim-lspconfig: filetype detection for *.role, comment
-- settings, basic syntax highlighting, and the rolec language server (`rolec lsp`, stdio).
--
-- Install (see editors/README.md):
--   * copy this file to ~/.config/nvim/plugin/rolec.lua: it sets itself up with the defaults;
--   * or copy it to ~/.config/nvim/lua/rolec.lua and call, in init.lua,
--       vim.g.rolec_manual_setup = true
--       require('rolec').setup({ cmd = { '/path/to/rolec', 'lsp' } })
--
-- Options (all optional):
--   cmd          command that starts the server (default { 'rolec', 'lsp' }, or
--                { vim.g.rolec_path, 'lsp' } when vim.g.rolec_path is set)
--   root_markers files or directories that mark the root of a policy (default { '.git' });
--                without one, the directory of the file is the root
--   syntax       false to leave highlighting to something else (default true)
--   lsp          false to skip the language server (default true)
--
-- Needs Neovim 0.10 or newer. 0.11+ uses vim.lsp.config/vim.lsp.enable; 0.10 starts the client
-- with vim.lsp.start on each rolec buffer.
--
-- The client offers to watch files for the server (didChangeWatchedFiles with dynamic
-- registration, which Neovim leaves off on Linux unless asked): the server then registers for
-- `**/*.role` and sees files changed, created or deleted outside the editor (a `git checkout`).

local M = {}

local defaults = {
  cmd = nil,
  root_markers = { '.git' },
  syntax = true,
  lsp = true,
}

local function default_cmd()
  return { vim.g.rolec_path or 'rolec', 'lsp' }
end

-- The client's capabilities, with file watching for the server's `**/*.role` registration.
local function capabilities()
  return vim.tbl_deep_extend('force', vim.lsp.protocol.make_client_capabilities(), {
    workspace = { didChangeWatchedFiles = { dynamicRegistration = true } },
  })
end

-- Vim syntax rules: keywords by category, comments (`//`, `///` doc comments, nesting
-- `/* */`), strings and quoted names with `""`/`\"` escapes and `{var}` interpolation,
-- numbers, durations and timestamps.
local function define_syntax()
  vim.cmd([[
    syntax clear
    syntax iskeyword @,48-57,_,192-255,$

    syntax keyword rolecDeclaration role user template schema policy let external defaults public
    syntax keyword rolecRepeat for in
    syntax keyword rolecInclude import
    syntax keyword rolecDeclaration manage matching
    syntax keyword rolecPrivilege select insert update delete truncate references trigger maintain
    syntax keyword rolecPrivilege usage create connect temporary temp execute all privileges
    syntax keyword rolecAttribute login nologin superuser nosuperuser createdb nocreatedb
    syntax keyword rolecAttribute createrole nocreaterole replication noreplication bypassrls
    syntax keyword rolecAttribute nobypassrls inherit noinherit noset
    syntax keyword rolecPolicy exclusive max forbid warn except applies tagged memberships deeper than
    syntax keyword rolecKeyword grant revoke on to from of member with admin option extends owner
    syntax keyword rolecKeyword creators comment tags use without connection limit valid until
    syntax keyword rolecKeyword password scram secret reason set
    syntax keyword rolecObject table view sequence function procedure routine database type domain
    syntax keyword rolecObject column columns tables sequences functions routines types schemas
    syntax keyword rolecCondition when if during between requires approved unless

    syntax match rolecNumber /-\=\<\d\+\>/
    syntax match rolecDuration /\<\d\+\(ms\|min\|s\|h\|d\|w\)\>/
    syntax match rolecTimestamp /\<\d\{4}-\d\{2}-\d\{2}\([T ]\d\{2}:\d\{2}\(:\d\{2}\)\=\(\.\d\+\)\=\)\=\(Z\|[+-]\d\{2}\(:\=\d\{2}\)\=\)\=/

    syntax match rolecEscape /\\.\|""/ contained
    syntax match rolecInterpolation /{[[:alnum:]_]\+}/ contained
    syntax region rolecString start=/"/ skip=/\\.\|""/ end=/"/ end=/$/ oneline contains=rolecEscape,rolecInterpolation

    syntax match rolecComment "//.*$" contains=@Spell
    syntax match rolecDocComment "///\(/\)\@!.*$" contains=@Spell
    syntax region rolecBlockComment start="/\*" end="\*/" contains=rolecBlockComment,@Spell

    highlight default link rolecDeclaration Structure
    highlight default link rolecRepeat Repeat
    highlight default link rolecInclude Include
    highlight default link rolecPrivilege Type
    highlight default link rolecAttribute StorageClass
    highlight default link rolecPolicy Statement
    highlight default link rolecKeyword Keyword
    highlight default link rolecObject Special
    highlight default link rolecCondition Error
    highlight default link rolecNumber Number
    highlight default link rolecDuration Number
    highlight default link rolecTimestamp Constant
    highlight default link rolecString String
    highlight default link rolecEscape SpecialChar
    highlight default link rolecInterpolation Identifier
    highlight default link rolecComment Comment
    highlight default link rolecDocComment SpecialComment
    highlight default link rolecBlockComment Comment
  ]])
  vim.b.current_syntax = 'rolec'
end

local function root_dir(markers, bufnr)
  local fname = vim.api.nvim_buf_get_name(bufnr)
  local dir = fname ~= '' and vim.fs.dirname(fname) or vim.fn.getcwd()
  local found = vim.fs.find(markers, { upward = true, path = dir })[1]
  return found and vim.fs.dirname(found) or dir
end

function M.setup(opts)
  local config = vim.tbl_deep_extend('force', defaults, opts or {})
  local cmd = config.cmd or default_cmd()

  vim.filetype.add({ extension = { role = 'rolec' } })

  local group = vim.api.nvim_create_augroup('rolec', { clear = true })

  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = 'rolec',
    desc = 'rolec: comment settings',
    callback = function(args)
      vim.bo[args.buf].commentstring = '// %s'
      vim.bo[args.buf].comments = 's1:/*,mb:*,ex:*/,:///,://'
      vim.bo[args.buf].formatoptions = vim.bo[args.buf].formatoptions .. 'croq'
    end,
  })

  if config.syntax then
    vim.api.nvim_create_autocmd('Syntax', {
      group = group,
      pattern = 'rolec',
      desc = 'rolec: syntax highlighting',
      callback = function(args)
        -- After the other Syntax handlers (`:syntax on` clears the buffer's syntax first),
        -- and only if no syntax/rolec.vim took over.
        vim.schedule(function()
          if vim.api.nvim_buf_is_valid(args.buf) and vim.bo[args.buf].syntax == 'rolec'
              and vim.b[args.buf].current_syntax == nil then
            vim.api.nvim_buf_call(args.buf, define_syntax)
          end
        end)
      end,
    })
  end

  if not config.lsp then
    return
  end

  if vim.fn.has('nvim-0.10') ~= 1 then
    vim.notify('rolec: the language server needs Neovim 0.10 or newer', vim.log.levels.WARN)
    return
  end

  if vim.lsp.config and vim.lsp.enable then
    -- Neovim 0.11+
    vim.lsp.config('rolec', {
      cmd = cmd,
      filetypes = { 'rolec' },
      root_markers = config.root_markers,
      capabilities = capabilities(),
    })
    vim.lsp.enable('rolec')
  else
    -- Neovim 0.10
    vim.api.nvim_create_autocmd('FileType', {
      group = group,
      pattern = 'rolec',
      desc = 'rolec: start the language server',
      callback = function(args)
        vim.lsp.start({
          name = 'rolec',
          cmd = cmd,
          root_dir = root_dir(config.root_markers, args.buf),
          capabilities = capabilities(),
        }, { bufnr = args.buf })
      end,
    })
  end
end

if not vim.g.rolec_manual_setup then
  M.setup()
end

return M
