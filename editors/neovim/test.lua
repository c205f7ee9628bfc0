-- Headless test of rolec.lua with the real server (run by editors/test.sh):
--   ROLEC_BIN=/path/to/rolec nvim --headless --clean -l editors/neovim/test.lua
-- Loads rolec.lua as a user's plugin would be, opens a policy with an unknown role in a
-- folder marked by `.git`, and waits for the server's diagnostic; checks that the client
-- offered file watching and that the server registered for `**/*.role`, then that a file
-- created on disk reaches the server. Prints one line and exits 0 on success; on failure
-- prints why and exits 1.
--
-- With ROLEC_NVIM_START=1 the 0.11+ API (vim.lsp.config/enable) is hidden first, so that the
-- path rolec.lua takes on Neovim 0.10 (vim.lsp.start per buffer) runs on a newer Neovim too.
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')

local function fail(message)
  io.stderr:write('neovim: ' .. message .. '\n')
  os.exit(1)
end

local bin = os.getenv('ROLEC_BIN')
if not bin or vim.fn.executable(bin) ~= 1 then
  fail('ROLEC_BIN is not an executable: ' .. tostring(bin))
end
if vim.fn.has('nvim-0.10') ~= 1 then
  fail('Neovim 0.10 or newer is needed, this is ' .. tostring(vim.version()))
end

local root = vim.fn.resolve(vim.fn.tempname())
vim.fn.mkdir(root .. '/.git', 'p')
local function write(name, lines)
  vim.fn.writefile(lines, root .. '/' .. name)
end
write('a.role', { 'role reader {}', 'user dan { member of reader, nobody }' })

local path = 'vim.lsp.config/enable'
if os.getenv('ROLEC_NVIM_START') == '1' then
  vim.lsp.enable = nil
  path = 'vim.lsp.start'
end
vim.g.rolec_path = bin
dofile(here .. '/rolec.lua')
vim.cmd('syntax on')
vim.cmd('edit ' .. vim.fn.fnameescape(root .. '/a.role'))
local buf = vim.api.nvim_get_current_buf()
if vim.bo[buf].filetype ~= 'rolec' then
  fail('filetype of a.role is ' .. vim.bo[buf].filetype)
end

local function code_of(d)
  return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
end

if not vim.wait(20000, function()
  return #vim.diagnostic.get(buf) > 0
end, 20) then
  fail('no diagnostic for a.role within 20 s (clients: ' .. #vim.lsp.get_clients({ name = 'rolec' }) .. ')')
end
local d = vim.diagnostic.get(buf)[1]
if code_of(d) ~= 'E002' or d.lnum ~= 1 or d.col ~= 29 or not d.message:find('unknown role `nobody`', 1, true) then
  fail('unexpected diagnostic: ' .. vim.inspect(d))
end

local client = vim.lsp.get_clients({ name = 'rolec' })[1]
local caps = client.config.capabilities or {}
if not vim.tbl_get(caps, 'workspace', 'didChangeWatchedFiles', 'dynamicRegistration') then
  fail('the client does not offer file watching: ' .. vim.inspect(vim.tbl_get(caps, 'workspace')))
end
if client.root_dir ~= root then
  fail('root ' .. tostring(client.root_dir) .. ', expected ' .. root)
end

-- A file created outside the editor: the server hears of it through the watcher it
-- registered and reports its unknown role (published for a file no buffer shows).
local created = vim.uri_from_fname(root .. '/b.role')
local heard = false
vim.lsp.handlers['textDocument/publishDiagnostics'] = (function(default)
  return function(err, result, ctx, config)
    if result and result.uri == created and #result.diagnostics > 0 then
      heard = true
    end
    return default(err, result, ctx, config)
  end
end)(vim.lsp.handlers['textDocument/publishDiagnostics'])
vim.wait(200)
write('b.role', { 'user eve { member of nobody_either }' })
if not vim.wait(20000, function()
  return heard
end, 20) then
  fail('a file created on disk did not reach the server within 20 s')
end

io.stdout:write(('neovim: %s, %s: diagnostic from rolec lsp, file watching registered and used\n'):format(
  tostring(vim.version()),
  path
))
vim.lsp.stop_client(client.id)
vim.wait(2000, function()
  return client.is_stopped and client:is_stopped() or vim.tbl_isempty(vim.lsp.get_clients({ name = 'rolec' }))
end)
vim.fn.delete(root, 'rf')
os.exit(0)
