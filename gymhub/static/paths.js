// Every API path the page uses, in one place: constants for fixed paths, functions for paths
// with ids or query parameters. The server's routes are in gymhub/handlers/.

/** A query string from an object, leaving out null, undefined and empty values. */
export function qs(params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

const id = (value) => encodeURIComponent(String(value));

export const paths = {
  me: "/api/me",
  login: "/api/auth/login",
  logout: "/api/auth/logout",
  password: "/api/me/password",
  reset: "/api/auth/reset",
  resetCode: (userId) => `/api/users/${id(userId)}/reset-code`,

  users: "/api/users",
  user: (userId) => `/api/users/${id(userId)}`,
  myAccessLog: (params) => `/api/me/access-log${qs(params)}`,
  userAccessLog: (userId, params) => `/api/users/${id(userId)}/access-log${qs(params)}`,
  myExport: "/api/me/export",
  trainerClients: (trainerId) => `/api/trainers/${id(trainerId)}/clients`,
  trainerDashboard: (trainerId) => `/api/trainers/${id(trainerId)}/dashboard`,
  announcements: "/api/announcements",
  assignment: (trainerId, clientId) => `/api/trainers/${id(trainerId)}/clients/${id(clientId)}`,

  meals: (params) => `/api/nutrition/meals${qs(params)}`,
  mealPhotoUpload: (params) => `/api/nutrition/photos/upload${qs(params)}`,
  meal: (mealId) => `/api/nutrition/meals/${id(mealId)}`,
  progress: (params) => `/api/progress${qs(params)}`,
  progressEntry: (entryId) => `/api/progress/${id(entryId)}`,
  files: (params) => `/api/files${qs(params)}`,
  file: (fileId) => `/api/files/${id(fileId)}`,
  fileUpload: (params) => `/api/files/upload${qs(params)}`,
  mediaStats: "/api/files/media/stats",
  // A profile photo's thumbnail: JPEG, or PNG when the photo has transparency (avatar.js tries both).
  thumbnail: (fileId, ext) => `/api/files/media/thumbnails/${id(fileId)}_thumbnail.${ext}`,

  messages: (params) => `/api/messages${qs(params)}`,
  message: (messageId) => `/api/messages/${id(messageId)}`,
  messageRead: (messageId) => `/api/messages/${id(messageId)}/read`,
  comments: (params) => `/api/comments${qs(params)}`,
  notifications: (params) => `/api/notifications${qs(params)}`,
  notificationsRead: "/api/notifications/read",
  testNotification: (userId) => `/api/ws/test-notification/${id(userId)}`,
  // The WebSocket's path; live.js puts it on the page's origin with ws: or wss:.
  ws: (params) => `/api/ws${qs(params)}`,
};
