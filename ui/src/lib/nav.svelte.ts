// Which screen the desk shows. One small state object, no router: the desk has no URLs.
export type View =
  | { name: "today" }
  | { name: "pupils" }
  | { name: "pupil"; id: string }
  | { name: "concern"; pupilId?: string }
  | { name: "voice"; pupilId: string }
  | { name: "referral"; pupilId: string };

export const nav = $state<{ view: View }>({ view: { name: "today" } });

export function go(view: View) {
  nav.view = view;
  window.scrollTo(0, 0);
}
