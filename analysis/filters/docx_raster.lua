--[[
docx_raster.lua -- use the PNG twin of an SVG figure in Word output.

Why: the .qmd sources reference `figures/x.svg` (sharp in HTML and PDF), but
Word needs a raster image; pandoc's docx writer would embed the SVG without a
PNG fallback unless an SVG converter is installed, and older Word versions show
an empty box.  The DAG writes every figure in both formats with the same stem,
so for docx we simply swap the extension when the PNG exists.  Paths are
resolved against the working directory, which render.py sets to the staged
project folder.
]]

local function exists(path)
  local handle = io.open(path, 'rb')
  if handle ~= nil then
    handle:close()
    return true
  end
  return false
end

function Image(image)
  local stem = image.src:match('^(.*)%.[sS][vV][gG]$')
  if stem == nil then
    return nil
  end
  local png = stem .. '.png'
  if exists(png) then
    image.src = png
    return image
  end
  io.stderr:write('[WARNING] docx_raster: no PNG next to ' .. image.src
    .. '; the SVG is embedded as is\n')
  return nil
end
