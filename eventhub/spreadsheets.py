"""Cells for CSV and spreadsheet exports that a spreadsheet program will never run as a formula."""
import csv
import io

# A cell starting with one of these is read as a formula by Excel, LibreOffice or Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The value as text, with a leading apostrophe if it could start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: list[str], rows: list[list]) -> str:
    """A CSV document with every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([[safe_cell(cell) for cell in row] for row in rows])
    return buffer.getvalue()


def xlsx_bytes(title: str, header: list[str], rows: list[list]) -> bytes:
    """An Excel workbook of one sheet, every cell text and neutralised, the heading row bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(title))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heading = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=safe_cell(text))
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append([_xlsx_text(safe_cell(value)) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet's name."""
    cleaned = "".join(" " if ch in '[]:*?/\\' else ch for ch in title).strip()
    return cleaned[:31] or "Sheet"


def _xlsx_text(text: str) -> str:
    """Text as a cell may hold it: control characters (other than tab and line breaks) dropped."""
    return "".join(ch for ch in text if ch >= " " or ch in "\t\n\r")
