// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render } from "@testing-library/svelte";
import { flushSync } from "svelte";
import BodyMap from "../BodyMap.svelte";
import type { BodyMark } from "../bindings/BodyMark";
import type { Vocabulary } from "../bindings/Vocabulary";
import vocabulary from "../bindings/vocabulary.json";
import { words } from "../lib/vocabulary.svelte";

// The core's own words (written by `cargo test`), as the shell sends them.
beforeEach(() => words.set(vocabulary as Vocabulary));
afterEach(cleanup);

/** jsdom has no layout: give the outline a size so a click has a position on it. */
function sized(svg: Element, w = 160, h = 320) {
  (svg as SVGSVGElement).getBoundingClientRect = () => ({ left: 0, top: 0, width: w, height: h, right: w, bottom: h, x: 0, y: 0, toJSON() {} }) as DOMRect;
}

describe("BodyMap", () => {
  it("a click on the back outline marks that point, numbered, with its own description", async () => {
    const props = $state({ marks: [] as BodyMark[] });
    const { getByTestId, getAllByTestId } = render(BodyMap, { props });
    const back = getByTestId("body-back");
    sized(back);
    await fireEvent.click(back, { clientX: 40, clientY: 80 });
    flushSync();
    expect(props.marks).toEqual([{ side: "back", x: 0.25, y: 0.25, description: "" }]);
    const desc = getAllByTestId("mark-description")[0] as HTMLInputElement;
    await fireEvent.input(desc, { target: { value: "Red mark, 2 cm, left shoulder blade" } });
    expect(props.marks[0].description).toBe("Red mark, 2 cm, left shoulder blade");
  });

  it("keyboard: Enter adds a mark on the outline, arrow keys move it, within the outline", async () => {
    const props = $state({ marks: [] as BodyMark[] });
    const { getByTestId, getByRole } = render(BodyMap, { props });
    await fireEvent.keyDown(getByTestId("body-front"), { key: "Enter" });
    flushSync();
    expect(props.marks).toHaveLength(1);
    expect(props.marks[0]).toMatchObject({ side: "front", x: 0.5, y: 0.4 });
    const handle = getByRole("slider");
    await fireEvent.keyDown(handle, { key: "ArrowRight" });
    await fireEvent.keyDown(handle, { key: "ArrowUp" });
    expect(props.marks[0].x).toBeCloseTo(0.52);
    expect(props.marks[0].y).toBeCloseTo(0.38);
    for (let i = 0; i < 60; i++) await fireEvent.keyDown(handle, { key: "ArrowLeft" });
    expect(props.marks[0].x).toBe(0);
  });

  it("a mark's side is chosen from the core's words, and changing it moves the mark", async () => {
    const props = $state({ marks: [{ side: "front", x: 0.5, y: 0.5, description: "bruise" }] as BodyMark[] });
    const { getByLabelText } = render(BodyMap, { props });
    const side = getByLabelText("Side of mark 1") as HTMLSelectElement;
    expect([...side.options].map((o) => o.textContent)).toEqual(vocabulary.body_sides.map((s) => s.label));
    expect(getByLabelText(/Mark 1 on the front/)).toBeTruthy();
    await fireEvent.change(side, { target: { value: "back" } });
    flushSync();
    expect(props.marks[0].side).toBe("back");
  });

  it("a mark can be removed", async () => {
    const props = $state({ marks: [{ side: "front", x: 0.5, y: 0.5, description: "bruise" }] as BodyMark[] });
    const { getByLabelText } = render(BodyMap, { props });
    await fireEvent.click(getByLabelText("Remove mark 1"));
    expect(props.marks).toEqual([]);
  });
});
