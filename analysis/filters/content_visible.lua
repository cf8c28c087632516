-- Quarto's conditional content for the pandoc engine: keep a
-- `::: {.content-visible when-format="html"}` div only in that format and drop a
-- `.content-hidden` one there, so the same .qmd renders alike under quarto and pandoc.
-- Quarto's format names: html; pdf (typst or LaTeX here); docx.
local aliases = {
  html = { html = true, html4 = true, html5 = true },
  pdf = { typst = true, latex = true, pdf = true },
  docx = { docx = true },
}

local function matches(name)
  local set = aliases[name]
  if set then return set[FORMAT] == true end
  return FORMAT == name
end

function Div(el)
  local when = el.attributes["when-format"]
  if not when then return nil end
  if el.classes:includes("content-visible") then
    if matches(when) then return el.content end
    return {}
  elseif el.classes:includes("content-hidden") then
    if matches(when) then return {} end
    return el.content
  end
end
