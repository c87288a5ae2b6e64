/** Entry of the workbench UI (both shells): theme first, so the first paint has the right colours. */
import { createApp } from 'vue';
import App from './App.vue';
import { applyTheme } from './theme';
import { startLiveLog } from './composables/liveLog';
import './styles/theme.css';
import './styles/base.css';

applyTheme();
startLiveLog();
createApp(App).mount('#app');
