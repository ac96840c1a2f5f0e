// The monitor is watched in a dimmed room: always dark. In <head>, so it never flashes white.
document.documentElement.setAttribute("data-theme", "dark");
