--[[
synthetic_banner.lua -- a visible "synthetic data" notice on page one.

Why: the compendium can be rebuilt from synthetic records that only mimic the
published facts.  Anyone who opens such a build must see at once that the
numbers are not the authors' data, so the notice goes above the title.

The text comes from the metadata field `synthetic-banner` (render.py passes it
with -M; in Quarto mode it is written into the project metadata).  Without that
field the filter does nothing.  The field is removed from the metadata so that
no writer prints it a second time.

  * html  : a <div class="synthetic-banner"> in `include-before`, which the
            HTML templates (pandoc's and Quarto's) place before the title block;
            the styling is inline so it shows even without the render CSS.
  * typst : a floating block placed at the top of the first page (it floats
            above the title block, which the typst template emits first).
  * docx  : nothing here.  The docx writer always writes the title block before
            any body content and has no `include-before`, so render.py inserts
            the banner paragraph into word/document.xml after pandoc has run.
]]

local stringify = pandoc.utils.stringify

local function html_escape(text)
  return (text:gsub('&', '&amp;'):gsub('<', '&lt;'):gsub('>', '&gt;'):gsub('"', '&quot;'))
end

local function typst_string(text)
  return '"' .. text:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

local HTML_STYLE = 'background:#fff3b0;color:#000;border:2px solid #b00020;'
  .. 'padding:0.75em 1em;margin:0 0 1.5em 0;font-weight:bold;'

local function banner_block(text)
  if FORMAT:match('html') then
    return pandoc.RawBlock('html',
      '<div class="synthetic-banner" role="note" style="' .. HTML_STYLE .. '">'
      .. html_escape(text) .. '</div>')
  elseif FORMAT:match('typst') then
    return pandoc.RawBlock('typst',
      '#place(top, float: true, scope: "parent", clearance: 1.5em, block(\n'
      .. '  width: 100%, fill: rgb("#fff3b0"), stroke: 1.5pt + rgb("#b00020"),\n'
      .. '  inset: 10pt, radius: 2pt,\n'
      .. '  align(left, text(weight: "bold", size: 10pt, fill: black, '
      .. typst_string(text) .. '))))')
  end
  return nil
end

function Meta(meta)
  local value = meta['synthetic-banner']
  if value == nil then
    return nil
  end
  meta['synthetic-banner'] = nil
  local block = banner_block(stringify(value))
  if block == nil then
    return meta
  end
  local before = meta['include-before']
  local blocks = pandoc.List({ pandoc.MetaBlocks({ block }) })
  if before ~= nil then
    if pandoc.utils.type(before) == 'List' then
      blocks:extend(before)
    else
      blocks:insert(before)
    end
  end
  meta['include-before'] = blocks
  return meta
end
