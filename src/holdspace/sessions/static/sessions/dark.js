// The monitor is watched in a dimmed room: always dark. In <head>, so it never flashes white.
document.documentElement.setAttribute("data-theme", "dark");
// Fixed: the theme script (holdspace/theme.js) leaves it alone whatever the device says.
document.documentElement.setAttribute("data-theme-fixed", "");
