/** The app's name, the last part of every page's title ("Baking — Lessons"). */
export const APP_NAME = "Lessons";
