"""Baseline for the scan benchmark: walk every DIE of an ELF the way Zephyr's
gen_kobject_list.py does with pyelftools (all units, all DIEs, attributes decoded, variables
with DW_OP_addr locations collected, types indexed by offset), and print the seconds taken."""
import sys
import time

from elftools.dwarf.descriptions import describe_DWARF_expr  # noqa: F401 (same import cost as Zephyr)
from elftools.elf.elffile import ELFFile

DW_OP_ADDR = 0x3


def walk(path):
    with open(path, "rb") as f:
        elf = ELFFile(f)
        dwarf = elf.get_dwarf_info()
        type_env = {}
        variables = []
        for cu in dwarf.iter_CUs():
            for die in cu.iter_DIEs():
                if not die.tag:
                    continue
                if die.tag == "DW_TAG_variable":
                    loc = die.attributes.get("DW_AT_location")
                    if loc is not None and loc.form in ("DW_FORM_exprloc", "DW_FORM_block1"):
                        if loc.value and loc.value[0] == DW_OP_ADDR:
                            variables.append(die)
                elif die.tag in (
                    "DW_TAG_structure_type",
                    "DW_TAG_union_type",
                    "DW_TAG_array_type",
                    "DW_TAG_typedef",
                    "DW_TAG_const_type",
                    "DW_TAG_volatile_type",
                    "DW_TAG_member",
                    "DW_TAG_subrange_type",
                ):
                    type_env[die.offset] = die
        return len(variables), len(type_env)


def main():
    start = time.perf_counter()
    variables, types = walk(sys.argv[1])
    elapsed = time.perf_counter() - start
    print(f"{elapsed:.6f} {variables} {types}")


if __name__ == "__main__":
    main()
